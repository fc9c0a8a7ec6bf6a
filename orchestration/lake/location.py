"""Where the Parquet lake lives: PULSE_LAKE_DIR, a local folder or an object-store URL.

One setting names the lake for both of its users:

- the export writes through a pyarrow filesystem (`pyarrow.fs.FileSystem.from_uri`),
  so a local folder, `file:///...`, `s3://bucket/prefix` and `gs://bucket/prefix` go
  through the same code;
- Spark reads the same place through Hadoop, which names S3 `s3a://` (the `s3://`
  scheme is not mapped by open-source Hadoop). Spark needs the connector on its
  classpath (hadoop-aws and the AWS SDK bundle for `s3a`, the GCS connector for
  `gs`): the pyspark wheel has neither, so a cluster reading an object store must be
  given them (see docs/scaling.md).

A URL's query (`?region=...&endpoint_override=...`) is passed to pyarrow only; Spark
takes such options from its own `fs.s3a.*` settings. Anything else is refused when
the setting is read, with a message that names the setting, rather than when the first
export runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pyarrow.fs import FileSystem

SETTING = "PULSE_LAKE_DIR"
# The setting's scheme -> (pyarrow's scheme, Hadoop's scheme).
SCHEMES = {
    "file": ("file", "file"),
    "s3": ("s3", "s3a"),
    "s3a": ("s3", "s3a"),
    "gs": ("gs", "gs"),
}


class LakeConfigurationError(ValueError):
    """PULSE_LAKE_DIR names no place the export and Spark can both use."""


@dataclass(frozen=True)
class LakeLocation:
    # What pyarrow opens: `file:///abs/path`, `s3://bucket/prefix?region=...`, `gs://...`.
    url: str
    # The same place for Spark's `location '...'` (no query; `s3a` for S3).
    spark_url: str

    def filesystem(self) -> tuple[FileSystem, str]:
        """The pyarrow filesystem and the lake's root path inside it."""
        from pyarrow.fs import FileSystem

        filesystem, root = FileSystem.from_uri(self.url)
        return filesystem, root.rstrip("/")


def parse_lake_location(setting: str, default: Path | None = None) -> LakeLocation:
    """Read PULSE_LAKE_DIR: a local path (relative to the working folder) or a URL."""
    value = setting.strip()
    if not value:
        if default is None:
            raise LakeConfigurationError(f"{SETTING} is empty")
        value = str(default)
    if "://" not in value:
        folder = Path(value).expanduser().resolve()
        return LakeLocation(url=folder.as_uri(), spark_url=folder.as_uri())
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        supported = ", ".join(f"{name}://" for name in SCHEMES)
        raise LakeConfigurationError(
            f"{SETTING}={value!r}: unsupported scheme {parts.scheme!r}; "
            f"use a local path or a {supported} URL"
        )
    arrow_scheme, spark_scheme = SCHEMES[scheme]
    path = parts.path.rstrip("/")
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise LakeConfigurationError(
                f"{SETTING}={value!r}: a file URL needs an absolute path (file:///folder)"
            )
        return LakeLocation(url=f"file://{path}", spark_url=f"file://{path}")
    if not parts.netloc:
        raise LakeConfigurationError(f"{SETTING}={value!r}: the URL names no bucket")
    query = f"?{parts.query}" if parts.query else ""
    return LakeLocation(
        url=f"{arrow_scheme}://{parts.netloc}{path}{query}",
        spark_url=f"{spark_scheme}://{parts.netloc}{path}",
    )
