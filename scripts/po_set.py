"""Set translations in the zh_Hans catalogue: python scripts/po_set.py 'msgid' 'msgstr' [...].

Clears the fuzzy flag of each entry it sets. Run compilemessages afterwards.
"""

import sys
from pathlib import Path

import polib

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(pairs: list[str]) -> int:
    if len(pairs) % 2:
        print("usage: po_set.py MSGID MSGSTR [MSGID MSGSTR ...]", file=sys.stderr)
        return 2
    po = polib.pofile(str(CATALOGUE))
    wanted = dict(zip(pairs[::2], pairs[1::2], strict=True))
    for entry in po:
        if entry.msgid in wanted:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: wanted.pop(entry.msgid)}
            else:
                entry.msgstr = wanted.pop(entry.msgid)
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    po.save()
    for missing in wanted:
        print(f"not in the catalogue: {missing!r}", file=sys.stderr)
    return 1 if wanted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
