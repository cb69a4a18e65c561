"""The warehouse and the engine that computes it.

An :class:`Engine` is the one object that talks to a database: it registers inputs
(Parquet files, Arrow tables), materialises named Ibis expressions as warehouse tables
and reads results back as Arrow. Pipeline and indicator code only build expressions.

- ``duckdb``: the warehouse is one DuckDB file (default).
- ``spark``: local PySpark; the warehouse is a directory with one Parquet dataset per
  table. PySpark is imported only when this engine is chosen.

Builds write to ``<warehouse>.building`` and replace the warehouse only when complete,
so a failed or killed build never leaves a half-written warehouse behind.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.expr.types import Table


class Engine:
    """Composition over an Ibis backend; subclasses only say where tables are stored.

    Every table it writes and every result it reads back is timed into :attr:`steps`
    (stage, what, seconds), the stage being whatever the caller set :attr:`stage` to:
    ``talentatlas build --profile`` shows where a build's time went."""

    name = "base"

    def __init__(self, con: Any, keep_scratch: bool = False) -> None:
        self.con = con
        self.keep_scratch = keep_scratch
        self.stage = ""
        self.steps: list[tuple[str, str, float]] = []

    def timed(self, what: str, since: float) -> None:
        """Record a step of the current stage that began at ``since`` (perf_counter)."""
        self.steps.append((self.stage, what, time.perf_counter() - since))

    def table(self, name: str) -> Table:
        return self.con.table(name)

    def read_parquet(self, name: str, paths: list[str], schema: pa.Schema) -> Table:
        """Register Parquet files as a temporary input (not a warehouse table)."""
        raise NotImplementedError

    def from_arrow(self, name: str, data: pa.Table) -> Table:
        """Register an Arrow table as a temporary input (not a warehouse table)."""
        raise NotImplementedError

    def materialize(self, name: str, expr: Table) -> Table:
        raise NotImplementedError

    def view(self, name: str, expr: Table) -> Table:
        """A warehouse table that is a stored query over other warehouse tables (a view
        where the engine keeps them, else materialised): for a filter of a large table
        that would otherwise be written twice."""
        return self.materialize(name, expr)

    def scratch(self, name: str, expr: Table) -> Table:
        """Materialise a working table that is not part of the warehouse: it is gone when
        the build ends (kept as a warehouse table only with ``keep_scratch``)."""
        raise NotImplementedError

    def release(self, *names: str) -> None:
        """Drop working tables (:meth:`scratch`) no longer needed, so that their memory
        serves what follows (kept with ``keep_scratch``)."""

    def to_arrow(self, expr: Table) -> pa.Table:
        t = time.perf_counter()
        out = expr.to_pyarrow()
        self.timed("(results read back)", t)
        return out

    def close(self) -> None:
        pass


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, path: Path, threads: int | None = None, keep_scratch: bool = False) -> None:
        con = ibis.duckdb.connect(str(path))
        con.raw_sql("SET preserve_insertion_order = false")
        if threads:
            con.raw_sql(f"SET threads = {int(threads)}")
        super().__init__(con, keep_scratch)

    def read_parquet(self, name: str, paths: list[str], schema: pa.Schema) -> Table:
        if not paths:
            return self.from_arrow(name, schema.empty_table())
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        self.con.raw_sql(
            f'CREATE OR REPLACE TEMP VIEW "{name}" AS '
            f"SELECT * FROM read_parquet([{files}], union_by_name = true)"
        )
        return self.con.table(name)

    def from_arrow(self, name: str, data: pa.Table) -> Table:
        return self.con.create_table(name, data, temp=True, overwrite=True)

    def materialize(self, name: str, expr: Table) -> Table:
        t = time.perf_counter()
        out = self.con.create_table(name, expr, overwrite=True)
        self.timed(name, t)
        return out

    def view(self, name: str, expr: Table) -> Table:
        return self.con.create_view(name, expr, overwrite=True)

    def scratch(self, name: str, expr: Table) -> Table:
        if self.keep_scratch:
            return self.materialize(name, expr)
        # temporary tables live outside the database file and end with the connection
        t = time.perf_counter()
        out = self.con.create_table(name, expr, temp=True, overwrite=True)
        self.timed(f"{name} (working table)", t)
        return out

    def release(self, *names: str) -> None:
        if not self.keep_scratch:
            for name in names:
                self.con.raw_sql(f'DROP TABLE IF EXISTS temp."{name}"')

    def close(self) -> None:
        self.con.disconnect()


class SparkEngine(Engine):
    name = "spark"

    def __init__(
        self,
        directory: Path,
        session: Any | None = None,
        keep_scratch: bool = False,
        master: str = "local[2]",
    ) -> None:
        self.directory = directory
        self.session = session or spark_session(master)
        super().__init__(ibis.pyspark.connect(self.session), keep_scratch)
        self._scratch = Path(tempfile.mkdtemp(prefix="talentatlas-spark-"))

    def _register(self, name: str, path: str) -> Table:
        self.session.read.parquet(path).createOrReplaceTempView(name)
        return self.con.table(name)

    def read_parquet(self, name: str, paths: list[str], schema: pa.Schema) -> Table:
        if not paths:
            return self.from_arrow(name, schema.empty_table())
        self.session.read.parquet(*paths).createOrReplaceTempView(name)
        return self.con.table(name)

    def from_arrow(self, name: str, data: pa.Table) -> Table:
        path = self._scratch / f"{name}.parquet"
        pq.write_table(data, path)
        return self._register(name, str(path))

    def _dataframe(self, expr: Table) -> Any:
        """The Spark DataFrame of an expression, its in-memory tables registered first
        (compiling alone does not register them)."""
        self.con._run_pre_execute_hooks(expr)
        return self.session.sql(self.con.compile(expr))

    def materialize(self, name: str, expr: Table) -> Table:
        t = time.perf_counter()
        path = self.directory / name
        self._dataframe(expr).write.mode("overwrite").parquet(str(path))
        out = self._register(name, str(path))
        self.timed(name, t)
        return out

    def scratch(self, name: str, expr: Table) -> Table:
        if self.keep_scratch:
            return self.materialize(name, expr)
        t = time.perf_counter()
        path = self._scratch / name
        self._dataframe(expr).write.mode("overwrite").parquet(str(path))
        out = self._register(name, str(path))
        self.timed(f"{name} (working table)", t)
        return out

    def release(self, *names: str) -> None:
        if not self.keep_scratch:
            for name in names:
                self.session.catalog.dropTempView(name)
                shutil.rmtree(self._scratch / name, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)


_SPARK: Any = None


def spark_session(master: str = "local[2]") -> Any:
    """A Spark session (one per process; local by default: 2 cores), UTC, no UI, few
    shuffle partitions."""
    global _SPARK
    if _SPARK is None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as e:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the spark engine needs PySpark: pip install 'talentatlas[spark]'"
            ) from e
        if master.startswith("local"):
            # local executors run this interpreter, which has talentatlas (a cluster's
            # Python environment is the cluster's own configuration)
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        _SPARK = (
            SparkSession.builder.master(master)
            .appName("talentatlas")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "4g")
            .config("spark.sql.ansi.enabled", "false")
            .getOrCreate()
        )
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


def building_path(target: Path) -> Path:
    return target.with_name(target.name + ".building")


def open_engine(
    kind: str, target: Path, keep_scratch: bool = False, spark_master: str = "local[2]"
) -> Engine:
    """An engine writing a fresh warehouse at the building path of ``target``."""
    tmp = building_path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove(tmp)
    if kind == "duckdb":
        return DuckDBEngine(tmp, keep_scratch=keep_scratch)
    if kind == "spark":
        tmp.mkdir(parents=True)
        return SparkEngine(tmp, keep_scratch=keep_scratch, master=spark_master)
    raise ValueError(f"unknown engine {kind!r} (choose duckdb or spark)")


def commit(target: Path) -> None:
    """Swap a completed build into place."""
    tmp = building_path(target)
    if tmp.is_dir():
        old = target.with_name(target.name + ".old")
        _remove(old)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        _remove(old)
    else:
        _remove(target.with_name(target.name + ".wal"))
        os.replace(tmp, target)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p)
    elif p.exists():
        p.unlink()
    wal = p.with_name(p.name + ".wal")
    if wal.exists():
        wal.unlink()


def open_warehouse(path: Path) -> Any:
    """A read-only Ibis connection to a built warehouse (DuckDB file or Parquet directory)."""
    if not path.exists():
        raise FileNotFoundError(
            f"no warehouse at {path}: run `talentatlas build` (or `talentatlas run`) first"
        )
    if path.is_dir():
        con = ibis.duckdb.connect()
        for sub in sorted(path.iterdir()):
            if sub.is_dir():
                glob = str(sub / "*.parquet").replace("'", "''")
                con.raw_sql(f"CREATE VIEW \"{sub.name}\" AS SELECT * FROM read_parquet('{glob}')")
        return con
    return ibis.duckdb.connect(str(path), read_only=True)
