#!/usr/bin/env python3
"""Fails when two controls of one window share a mnemonic, in English or in a translation.

A window is a set of .ui files (and the window's C file for labels set in code); menus
(<attribute name="label">) are their own scope and are checked separately.
Usage: check-mnemonics.py SRCDIR PO...
"""
import re
import sys

WINDOWS = {
    "main window": ["saoma-window.ui", "saoma-history-page.ui", "saoma-window.c"],
    "main menu": ["saoma-window.ui#menu"],
    "preferences": ["saoma-preferences-window.ui", "saoma-customer-display-preferences.ui"],
    "day close": ["saoma-day-close-window.ui"],
    "day close menu": ["saoma-day-close-window.ui#menu"],
    "reconciliation": ["saoma-reconcile-window.ui"],
    "refund dialog": ["saoma-refund-dialog.ui"],
    "payment details": ["saoma-attempt-dialog.ui"],
    "PIN dialog": ["saoma-pin-dialog.ui"],
}


def mnemonic(text):
    # "D_escription", "_Amount", "金额(_A)".
    m = re.search(r"_([A-Za-z0-9])", text)
    return m.group(1).upper() if m else None


def labels(srcdir, spec):
    name, _, part = spec.partition("#")
    text = open(f"{srcdir}/src/app/{name}", encoding="utf-8").read()
    if name.endswith(".c"):
        # Labels set in code: the translatable strings with a mnemonic ("_Details",
        # "Detai_ls"), not identifiers such as out_trade_no.
        return sorted({s for s in re.findall(r'_\("((?:[^"\\]|\\.)*)"\)', text)
                       if re.search(r"(^|[^A-Za-z0-9])_[A-Z]|[A-Z][a-z]*_[a-z]", s)})
    if part == "menu":
        return re.findall(r'<attribute name="label" translatable="yes">([^<]*_[^<]*)<', text)
    found = []
    # A label, title or button label followed (within its object) by use-underline.
    for m in re.finditer(r'<property name="(?:label|title)" translatable="yes"[^>]*>([^<]*)<'
                         r'/property>\s*<property name="use-underline">[Tt]rue<', text):
        found.append(m.group(1))
    return found


def catalogue(path):
    po = open(path, encoding="utf-8").read()
    table = {}
    for block in po.split("\n\n"):
        mid = re.search(r'^msgid ((?:".*"\n)+)', block, re.M)
        mstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if mid and mstr:
            table["".join(re.findall(r'"(.*)"', mid.group(1)))] = \
                "".join(re.findall(r'"(.*)"', mstr.group(1)))
    return table


def main():
    srcdir, pos = sys.argv[1], sys.argv[2:]
    languages = [("en", None)] + [(p, catalogue(p)) for p in pos]
    failures = 0
    for window, specs in WINDOWS.items():
        strings = [s for spec in specs for s in labels(srcdir, spec)]
        for lang, table in languages:
            seen = {}
            for s in strings:
                shown = table.get(s, s) if table is not None else s
                key = mnemonic(shown)
                if key is None:
                    if table is not None:
                        print(f"not ok: {lang}: {window}: “{shown}” ({s}) lost its mnemonic")
                        failures += 1
                    continue
                # Each string is one control: the same label twice collides too.
                if key in seen:
                    print(f"not ok: {lang}: {window}: _{key} in “{seen[key]}” and “{s}”")
                    failures += 1
                seen.setdefault(key, s)
    print("ok: mnemonics are unique per window" if failures == 0 else f"{failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
