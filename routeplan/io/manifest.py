"""Know which files of a plan folder routeplan wrote, so that nobody's typing is lost.

Every command that writes into a plan folder (``plan``, ``map``, ``retime``)
records each file it wrote, with the SHA-256 of its content, in the folder's
manifest ``.routeplan-manifest.json`` (written atomically). Before it writes
again, a file that exists but is not in the manifest with that same hash was
typed into or edited by someone (filled outcomes, a revised itinerary, a sheet
annotated by hand) and is never overwritten: depending on the command it is
kept and the fresh file written beside it (:meth:`PlanFiles.claim`), moved to a
backup folder first (:meth:`PlanFiles.backup`), or the command is refused.

Folders written before the manifest existed ("legacy" folders, recognised by
their ``itineraries.csv`` or ``summary.json``) are adopted: their files are
taken as routeplan's, except an outcomes template with anything typed into
its outcome columns, which is the agents'. A folder with neither file is not
a plan folder: every existing file there is someone else's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from routeplan import schema as S
from routeplan.errors import InputError
from routeplan.io.safe import read_json, write_json_atomic
from routeplan.io.tables import read_table

MANIFEST_FILE = ".routeplan-manifest.json"
MANIFEST_FORMAT = "routeplan-manifest"
MANIFEST_VERSION = 1
#: prefix of the folders changed files are moved to (``backup-YYYYmmdd-HHMMSS``)
BACKUP_PREFIX = "backup-"
#: columns of an outcomes template the agents fill in
FILL_COLUMNS = (S.OUTCOME, *S.OUTCOME_OPTIONAL)
#: how many ``NAME.newN.ext`` siblings are tried before giving up
MAX_SIBLINGS = 99


def stderr_notice(line: str) -> None:
    """Print one notice line on stderr (the default ``notify`` of the folder writers)."""
    print(f"routeplan: {line}", file=sys.stderr)


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def has_filled_outcomes(path: Path) -> bool:
    """Return True when an outcomes CSV has any outcome column filled in.

    A file that cannot be read as CSV is taken as filled: it is certainly not
    a template routeplan wrote, so it must be kept.
    """
    try:
        frame, _ = read_table(path, normalise_headers=False, row_column=None)
    except InputError:
        return True
    columns = [c for c in FILL_COLUMNS if c in frame.columns]
    return bool((frame[columns].astype(str).apply(lambda s: s.str.strip()) != "").any().any())


def _is_outcomes_file(rel: str) -> bool:
    """Return True for ``outcomes_template*.csv`` at the top of the folder."""
    return "/" not in rel and rel.startswith("outcomes_template") and rel.endswith(".csv")


@dataclass
class PlanFiles:
    """The manifest of one plan folder, loaded for one command.

    Use :meth:`open`, then for each file to write :meth:`claim` (or check
    :meth:`is_users` / :meth:`backup`), write it, :meth:`record` it, and
    :meth:`save` once at the end. ``notices`` collects one line per file kept
    or moved, for the command to print on stderr.
    """

    folder: Path
    hashes: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    # --- loading and saving ----------------------------------------------------------

    @classmethod
    def open(cls, folder: Path | str) -> PlanFiles:
        """Load ``folder``'s manifest (adopting a legacy plan folder's files)."""
        files = cls(Path(folder))
        path = files.folder / MANIFEST_FILE
        if path.is_file():
            try:
                files.hashes = _parse_manifest(read_json(path))
                return files
            except InputError as exc:
                files.notices.append(f"{path}: ignored ({exc}); files taken as in an old folder")
        files._adopt_legacy()
        return files

    def _adopt_legacy(self) -> None:
        """Take an old plan folder's files as routeplan's, except filled outcomes."""
        d = self.folder
        if not ((d / "itineraries.csv").is_file() or (d / "summary.json").is_file()):
            return
        for path in _plan_file_candidates(d, ()):
            rel = self.rel(path)
            if _is_outcomes_file(rel) and has_filled_outcomes(path):
                continue
            self.hashes[rel] = sha256_file(path)

    def save(self) -> Path:
        """Write the manifest atomically (only entries whose file still exists)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        kept = {rel: h for rel, h in sorted(self.hashes.items()) if (self.folder / rel).is_file()}
        self.hashes = kept
        record = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "files": kept}
        return write_json_atomic(self.folder / MANIFEST_FILE, record)

    # --- questions -------------------------------------------------------------------

    def rel(self, path: Path | str) -> str:
        """Return ``path`` (``folder / name``, or ``name`` alone) relative to the folder.

        Raises ``ValueError`` for an absolute path outside the folder.
        """
        p = Path(path)
        try:
            return p.relative_to(self.folder).as_posix()
        except ValueError:
            if not p.is_absolute():
                return p.as_posix()
        return p.resolve().relative_to(self.folder.resolve()).as_posix()

    def is_users(self, path: Path | str) -> bool:
        """Return True when the file exists and is not what routeplan last wrote there."""
        target = self.folder / self.rel(path)
        if not target.is_file():
            return target.exists()  # a folder or device where a file goes is not ours either
        recorded = self.hashes.get(self.rel(path))
        return recorded is None or recorded != sha256_file(target)

    def users_files(self, paths: Iterable[Path | str]) -> list[str]:
        """Return the relative names of those ``paths`` that are someone else's."""
        return [self.rel(p) for p in dict.fromkeys(paths) if self.is_users(p)]

    def plan_conflicts(self, extra: Iterable[str] = ()) -> list[str]:
        """Return the files a new plan would replace or delete that someone changed.

        Candidates are the plan folder's own files (tables, summary, context,
        map, index, outcomes template, retime report), every file in the
        manifest, the sheets and per-agent CSVs, and ``extra`` names.
        """
        return self.users_files(_plan_file_candidates(self.folder, (*self.hashes, *extra)))

    # --- actions ---------------------------------------------------------------------

    def claim(self, path: Path | str) -> Path:
        """Return where to write ``path``: itself, or a fresh sibling when it is someone else's.

        ``sheets/A1.html`` changed by hand gives ``sheets/A1.new.html`` (then
        ``A1.new2.html``, ...); a notice says which file was kept.
        """
        target = self.folder / self.rel(path)
        if not self.is_users(target):
            return target
        for n in range(1, MAX_SIBLINGS + 1):
            tag = "new" if n == 1 else f"new{n}"
            sibling = target.with_name(f"{target.stem}.{tag}{target.suffix}")
            if not self.is_users(sibling):
                what = " (filled outcomes)" if _is_outcomes_file(self.rel(target)) else ""
                self.notices.append(
                    f"{target} was changed after routeplan wrote it{what}: kept as it is; "
                    f"the fresh one is {sibling.name}"
                )
                return sibling
        raise InputError(
            f"{target}: changed by hand, and so are {MAX_SIBLINGS} fresh copies beside it; "
            "move some of them away"
        )

    def record(self, paths: Iterable[Path | str]) -> None:
        """Remember the current content of files routeplan has just written."""
        for p in paths:
            target = self.folder / self.rel(p)
            self.hashes[self.rel(p)] = sha256_file(target)

    def remove_stale(self, keep: Iterable[Path | str]) -> list[Path]:
        """Delete files routeplan wrote earlier (unchanged since) that are not in ``keep``.

        Files changed by hand are never deleted. Returns the deleted paths.
        """
        kept = {self.rel(p) for p in keep} | {MANIFEST_FILE}
        removed: list[Path] = []
        for rel in sorted(set(self.hashes) - kept):
            target = self.folder / rel
            if target.is_file() and not target.is_symlink() and not self.is_users(target):
                target.unlink()
                removed.append(target)
            self.hashes.pop(rel, None)
        return removed

    def backup(self, rels: Iterable[str], *, now: dt.datetime | None = None) -> Path | None:
        """Move files into a new ``backup-YYYYmmdd-HHMMSS/`` folder, keeping their sub-paths.

        Returns the backup folder (None when there was nothing to move).
        """
        names = list(dict.fromkeys(rels))
        if not names:
            return None
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        dest = self.folder / f"{BACKUP_PREFIX}{stamp}"
        n = 1
        while dest.exists():
            n += 1
            dest = self.folder / f"{BACKUP_PREFIX}{stamp}-{n}"
        for rel in names:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.folder / rel, target)
            self.hashes.pop(rel, None)
        self.notices.append(
            f"moved {len(names)} file(s) changed by hand to {dest}: {', '.join(names)}"
        )
        return dest


def _parse_manifest(data: object) -> dict[str, str]:
    """Return the ``files`` mapping of a manifest, checking its shape."""
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise InputError("not a routeplan manifest")
    files = data.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise InputError("its files entry is not a mapping of names to hashes")
    return {k: v for k, v in files.items() if ".." not in Path(k).parts and not Path(k).anchor}


#: files of a plan folder routeplan writes at the top of the folder
PLAN_FOLDER_FILES = (
    "itineraries.csv",
    "checklist.csv",
    "excluded.csv",
    "dropped.csv",
    "rejected.csv",
    "scores.csv",
    "summary.json",
    "plan_context.json",
    "retime.csv",
    "map.html",
    "index.html",
    "outcomes_template.csv",
)


def _plan_file_candidates(folder: Path, extra: Iterable[str]) -> list[Path]:
    """Return the existing files a plan writes or prunes in ``folder``."""
    names = [folder / n for n in (*PLAN_FOLDER_FILES, *extra)]
    for sub, pattern in (("sheets", "*.html"), ("agents", "*.csv")):
        if (folder / sub).is_dir() and not (folder / sub).is_symlink():
            names.extend(sorted((folder / sub).glob(pattern)))
    return [p for p in dict.fromkeys(names) if p.exists() and p.name != MANIFEST_FILE]


__all__ = [
    "BACKUP_PREFIX",
    "MANIFEST_FILE",
    "PLAN_FOLDER_FILES",
    "PlanFiles",
    "has_filled_outcomes",
    "sha256_file",
    "stderr_notice",
]
