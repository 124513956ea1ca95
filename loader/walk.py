"""The one corpus walker every vendor uses: regular files only, every file it cannot use reported.

`walk_corpus` lists the files below a corpus's rule folders whose names end in a suffix. It follows
symbolic links (a corpus may be assembled from links) but reports, with the same words for every vendor,
a link that loops (to itself or to a folder above it), a dangling link, a folder it cannot list, and a
file that is no regular file (a FIFO, a socket, a device): those are never opened, so nothing can hang on
them. `read_regular` reads one file the same way (it refuses a non-regular file even if one appeared
after the walk, and a file too large to be a rule).
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from loader.model import LoadFailure

__all__ = ["CorpusFiles", "MAX_FILE_BYTES", "walk_corpus", "read_regular", "read_text", "unreadable", "relative_path",
           "text_reason", "yaml_reason"]

MAX_FILE_BYTES = 64 * 1024 * 1024
"""A larger file is no rule file (the largest in the real corpora is well under 1 MiB)."""

_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))


@dataclass(slots=True)
class CorpusFiles:
    """The files a walk found (sorted), and the entries it could not use, with the reason."""

    files: list[Path] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)


def relative_path(path: Path, root: Path) -> str:
    """`path` relative to the corpus `root`, with forward slashes (the rule's stable `path`)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def unreadable(exc: OSError) -> str:
    """The reason a file could not be read, worded the same for every vendor."""
    if exc.errno == errno.ELOOP:
        return "symlink loop (the link leads back to itself)"
    if exc.errno == errno.ENOENT and exc.filename and os.path.islink(exc.filename):
        return "dangling symlink (its target does not exist)"
    return f"cannot read file: {exc.strerror or exc}"


def read_regular(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file; OSError (reason via `unreadable`) for anything else, without blocking."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO opens at once and is refused below
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file ({_kind(info.st_mode)})", str(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"file is {info.st_size:,} bytes, more than the {limit:,} a rule file may be",
                          str(path))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)
    finally:
        os.close(fd)


def read_text(path: Path) -> str:
    """`read_regular` decoded as UTF-8, a leading byte-order mark dropped (UnicodeDecodeError otherwise)."""
    return read_regular(path).decode("utf-8-sig")


def text_reason(exc: UnicodeDecodeError, data: bytes) -> str:
    """Where and why `data` stops being UTF-8 text."""
    line = data.count(b"\n", 0, exc.start) + 1
    return f"not UTF-8 text at line {line}, byte {exc.start}: {exc.reason}"


def yaml_reason(exc: Exception, data: bytes | None = None) -> str:
    """Why PyYAML could not read a file, with the line (syntax) or byte (encoding) where it stopped."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    position = getattr(exc, "position", None)
    if position is not None:  # a ReaderError: bytes that are no UTF-8 text, or control characters
        if data is not None:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as bad:
                return text_reason(bad, data)
        reason = getattr(exc, "reason", None) or "unreadable character"
        character = getattr(exc, "character", None)
        if isinstance(character, int) and character >= 0:
            character = chr(character)
        shown = f" {character!r}" if isinstance(character, str) else ""
        return f"unreadable character{shown} at position {position}: {reason}"
    return f"invalid YAML: {' '.join(str(exc).split()) or type(exc).__name__}"


class _Walk:
    def __init__(self, root: Path, suffixes: tuple[str, ...], recursive: bool) -> None:
        self.root, self.suffixes, self.recursive = root, suffixes, recursive
        self.out = CorpusFiles()
        self.seen: dict[tuple[int, int], Path] = {}  # folders read, by (device, inode): loops and repeats

    def fail(self, path: Path, reason: str) -> None:
        self.out.failures.append(LoadFailure(relative_path(path, self.root), reason))

    def folder(self, folder: Path, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            info = os.stat(folder)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self.fail(folder, f"cannot read folder: {exc.strerror or exc}")
            return
        key = (info.st_dev, info.st_ino)
        self.seen[key] = folder
        ancestors = ancestors | {key}
        for entry in entries:
            self.entry(Path(entry.path), entry.is_symlink(), ancestors)

    def entry(self, path: Path, is_link: bool, ancestors: frozenset[tuple[int, int]]) -> None:
        wanted = path.name.endswith(self.suffixes)
        try:
            info = os.stat(path)
        except OSError as exc:
            if wanted or is_link:  # a dangling or looping link may have been meant as a rule or a folder
                exc.filename = str(path)
                self.fail(path, unreadable(exc))
            return
        if stat.S_ISDIR(info.st_mode):
            if not self.recursive:
                return
            key = (info.st_dev, info.st_ino)
            if key in ancestors:
                self.fail(path, "symlink loop (the link leads to a folder above it)")
            elif key in self.seen:
                self.fail(path, f"folder already read as {relative_path(self.seen[key], self.root)} (skipped)")
            else:
                self.folder(path, ancestors)
            return
        if not wanted:
            return
        if not stat.S_ISREG(info.st_mode):
            self.fail(path, f"not a regular file ({_kind(info.st_mode)}): not read")
        elif not os.access(path, os.R_OK):
            self.fail(path, "cannot read file: permission denied")
        else:
            self.out.files.append(path)


def walk_corpus(root: Path, folders: Iterable[str] = (".",), suffixes: str | tuple[str, ...] = ".yml", *,
                recursive: bool = True) -> CorpusFiles:
    """Files below `root/<folder>` (each folder that exists) named `*<suffix>`, sorted, and what could not be used.

    A missing folder is no failure (not every checkout has every folder); paths in failures are relative
    to `root`.
    """
    root = Path(root)
    walk = _Walk(root, (suffixes,) if isinstance(suffixes, str) else tuple(suffixes), recursive)
    for name in folders:
        folder = root / name
        if os.path.lexists(folder) and not os.path.isdir(folder):
            walk.entry(folder, os.path.islink(folder), frozenset())  # a link in place of a rule folder
        elif os.path.isdir(folder):
            walk.folder(folder, frozenset())
    walk.out.files.sort()
    return walk.out
