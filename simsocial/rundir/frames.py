"""Output rows as DataFrames with the output contract's column types (as reading the parquet files gives)."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from simsocial.contract import CANDIDATES_SCHEMA, DIALOGUES_SCHEMA, RAW_ANSWERS_SCHEMA, TURNS_SCHEMA

_SCHEMAS = {"dialogues": DIALOGUES_SCHEMA, "turns": TURNS_SCHEMA, "candidates": CANDIDATES_SCHEMA,
            "raw_answers": RAW_ANSWERS_SCHEMA}  # fmt: skip


Table = Literal["dialogues", "turns", "candidates", "raw_answers"]


def rows_frame(table: Table, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``rows`` of one contract table as a DataFrame, through its Arrow schema (same dtypes as the files)."""
    return pa.Table.from_pylist(rows, schema=_SCHEMAS[table]).to_pandas()
