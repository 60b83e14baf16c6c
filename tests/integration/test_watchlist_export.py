"""Export reads the compacted watchlist topic back: imports, updates and deletes all show."""
from __future__ import annotations

from stream.watchlist import parse_csv
from stream.watchlist_cli import main as watchlist_cli


def test_export_reflects_imports_updates_and_deletes(kafka, worker, tmp_path, checkpoint_id):
    src = tmp_path / "in.csv"
    src.write_text("entry_id,list,plate,category,priority,disposal\n"
                   f"{checkpoint_id}-a,stolen,AB123CD,stolen,1,=stop\n"
                   f"{checkpoint_id}-b,stolen,XY987ZW,stolen,2,stop\n")
    assert watchlist_cli(["import", str(src), "--created-by", "pytest"]) == 0
    src.write_text("entry_id,list,plate,category,priority,disposal\n"
                   f"{checkpoint_id}-a,stolen,AB123CD,stolen,3,stop and check\n")
    assert watchlist_cli(["import", str(src), "--created-by", "pytest"]) == 0
    assert watchlist_cli(["delete", f"{checkpoint_id}-b", "--reason", "pytest"]) == 0
    out = tmp_path / "out.csv"
    assert watchlist_cli(["export", "-o", str(out)]) == 0
    exported = {e.entry_id: e for e in parse_csv(out.read_text(), "t").entries}
    assert exported[f"{checkpoint_id}-a"].priority == 3
    assert exported[f"{checkpoint_id}-a"].disposal == "stop and check"
    assert f"{checkpoint_id}-b" not in exported
    assert "demo-stolen-001" in exported  # the sample list the worker fixture imported
