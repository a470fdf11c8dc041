#!/bin/sh
# Usage: test-customer-display.sh RUN_DUAL_HEAD TEST_PROGRAM [ARGS…]
# Runs TEST_PROGRAM (TAP) on a private two-monitor Xorg started by RUN_DUAL_HEAD
# (build-aux/dual-head/run-dual-head.sh). Xvfb cannot give GTK two monitors, so without root,
# Xorg, its dummy driver or the tools the test reads the screen with, the test is skipped.
set -u
run_dual_head=$1
shift

skip() {
  echo "1..0 # SKIP $*"
  exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root to start Xorg"
command -v Xorg >/dev/null 2>&1 || skip "Xorg is not installed (xserver-xorg-core)"
found=
for dir in /usr/lib/xorg/modules/drivers /usr/lib64/xorg/modules/drivers; do
  [ -e "$dir/dummy_drv.so" ] && found=1
done
[ -n "$found" ] || skip "the dummy video driver is not installed (xserver-xorg-video-dummy)"
for tool in openbox xrandr xdpyinfo xprop xwininfo xdotool import zbarimg dbus-run-session; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done

# The display test must not inherit the outer (Xvfb) display or session bus.
unset WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
# Only the test speaks TAP on stdout: the session bus's services (the accessibility registry
# prints a greeting) and the X server get stderr.
exec 3>&1
exec "$run_dual_head" sh -c 'exec "$@" 1>&3 3>&-' sh "$@" >&2
