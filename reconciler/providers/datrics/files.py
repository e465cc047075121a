"""The local files of a Datrics prediction: records in, predictions out (shared: ``providers/records.py``)."""

from reconciler.providers.records import (
    SUFFIXES,
    InputError,
    InputFile,
    batches,
    csv_bytes,
    load_input,
    load_inputs,
    output_bytes,
    parse_records,
    rows_of,
    sha256_of,
)

__all__ = [
    "SUFFIXES",
    "InputError",
    "InputFile",
    "batches",
    "csv_bytes",
    "load_input",
    "load_inputs",
    "output_bytes",
    "parse_records",
    "rows_of",
    "sha256_of",
]
