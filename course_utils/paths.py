"""Where the course's repository is on disk: the one place that knows (tooling, data, homework)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
