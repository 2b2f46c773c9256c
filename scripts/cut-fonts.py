#!/usr/bin/env python3
"""Cuts the PDF fonts kept in shared/assets/fonts from PT Sans (Debian's fonts-paratype).

Run once by hand (needs fontTools: pip install fonttools); the cut fonts are committed, so
builds need neither this script nor the package. Keeps Latin, Latin-1, Latin Extended-A,
Cyrillic, general punctuation, the numero and rouble signs; drops hinting. ParaType's licence
allows modified copies only under another name and with the licence beside them: the cut
fonts are named "Corpnum Sans" and shared/assets/fonts/LICENSE-PT-Sans.txt is the licence.

    scripts/cut-fonts.py /usr/share/fonts/truetype/paratype
"""
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

UNICODES = "U+0020-007E,U+00A0-00FF,U+0100-017F,U+0400-045F,U+0490-0491,U+2010-2027,U+2030-203A,U+2116,U+20BD"
CUTS = {"PTS55F.ttf": ("CorpnumSans-Regular.ttf", "Regular"), "PTS75F.ttf": ("CorpnumSans-Bold.ttf", "Bold")}


def main(source: Path, target: Path) -> None:
    for name, (out, style) in CUTS.items():
        options = subset.Options()
        options.hinting = False
        options.desubroutinize = True
        options.layout_features = ["kern"]
        options.name_IDs = ["*"]
        font = TTFont(source / name)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(UNICODES))
        subsetter.subset(font)
        family = "Corpnum Sans"
        for record in font["name"].names:
            if record.nameID in (1, 16):
                record.string = family
            elif record.nameID in (4,):
                record.string = f"{family} {style}"
            elif record.nameID in (6,):
                record.string = f"CorpnumSans-{style}"
            elif record.nameID == 3:
                record.string = f"CorpnumSans-{style}; a cut of a ParaType free font"
            elif record.nameID == 10:
                record.string = "Latin and Cyrillic cut of a ParaType free font, for corpnum's PDF documents."
        font.save(target / out)
        print(out, (target / out).stat().st_size, "bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/paratype"),
         Path(__file__).resolve().parent.parent / "shared" / "assets" / "fonts")
