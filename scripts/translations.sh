#!/usr/bin/env bash
# Refresh the translations in one go: extract every msgid from intranet/**.py and
# templates/**.html, merge them into each catalog, and compile the .mo files the app loads.
#
#   scripts/translations.sh            extract + update + compile
#   scripts/translations.sh compile    compile only (after editing a .po by hand)
#
# New msgids arrive with an empty msgstr in intranet/translations/zh_Hans_CN/LC_MESSAGES/messages.po:
# translate them, then run this script again (or `scripts/translations.sh compile`) and commit the
# .pot, .po and .mo files. tests/test_i18n.py fails while a msgid is untranslated or a .mo is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then
    # shellcheck disable=SC1091
    . .venv/bin/activate
fi

DIR=intranet/translations
POT="$DIR/messages.pot"
LOCALES=(zh_Hans_CN)  # English is the source language: it needs no catalog
# Keep in step with KEYWORDS in tests/test_i18n.py.
KEYWORDS=(-k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2)

if [ "${1:-}" != "compile" ]; then
    pybabel extract -F babel.cfg "${KEYWORDS[@]}" --sort-by-file -w 120 \
        --project=intranet --copyright-holder="After-sales intranet" \
        -o "$POT" .
    for locale in "${LOCALES[@]}"; do
        if [ -f "$DIR/$locale/LC_MESSAGES/messages.po" ]; then
            # No fuzzy matching: a guessed translation of a changed string is worse than none.
            pybabel update -i "$POT" -d "$DIR" -l "$locale" -w 120 --no-fuzzy-matching --ignore-obsolete
        else
            pybabel init -i "$POT" -d "$DIR" -l "$locale" -w 120
        fi
    done
fi
pybabel compile -d "$DIR" --statistics
