"""A one-stop dossier version in the native format, every declared field present: what the
ingestion tests send through the real parse and load path."""

from __future__ import annotations

from typing import Any

from ingestion.declarations import blank_record
from ingestion.sources.onestop_records import Dossier


def native_dossier(n: int = 1, version: int = 1, **change: Any) -> dict[str, Any]:
    """Dossier `n` of agency 000.00.12.H57, received online on 1 September 2025 and in
    processing; `change` replaces or adds fields."""
    return (
        blank_record(Dossier)
        | {
            "MaHoSo": f"000.00.12.H57-250901-{n:05d}",
            "MaTTHC": "1.001234",
            "KenhThucHien": "2",
            "ChuHoSo": "Lê Thị Hoa",
            "SoGiayToChuHoSo": "056090001234",
            "NgayTiepNhan": "20250901080000",
            "NgayHenTra": "20250910170000",
            "TrangThaiHoSo": "4",
            "_version": str(version),
            "_updated_at": "20250901090000",
        }
        | change
    )
