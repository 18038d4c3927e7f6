"""The seed corpus the tests use: the committed article alone, whatever a user has added to seeds/ since."""

from __future__ import annotations

import shutil
from pathlib import Path

SEED_ARTICLE = Path(__file__).resolve().parents[1] / "seeds" / "us-russia-ukraine-talks-saudi-arabia-2025-02.txt"


def copy_seed(folder: Path) -> Path:
    """Copy the seed article into `folder` (made if missing) and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    return folder
