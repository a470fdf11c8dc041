#!/bin/sh
# encode-symbolic.sh TOOL SVG WxH OUTPUT: GTK's .symbolic.png of SVG at one size. The tool
# names its output after the SVG in a directory it is given; meson wants one named file.
set -eu
tool=$1 svg=$2 size=$3 out=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$tool" -o "$dir" "$svg" "$size"
mv "$dir"/*.symbolic.png "$out"
