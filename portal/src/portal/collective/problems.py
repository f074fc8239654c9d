"""Problems with a place in a workbook ("Rij 7, kolom F: ..."), storable as JSON and rendered in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from portal.errors import N_, Problem
from portal.i18n import translate

CELL_PREFIX = N_("Row {row}, column {column}: {text}")
ROW_PREFIX = N_("Row {row}: {text}")
# Parameters that are message ids themselves (a column heading), translated along with the message.
TRANSLATED_PARAMS = ("heading",)


@dataclass
class CellProblem(Problem):
    """A problem in one cell (row and column) or one row (row only) of an uploaded workbook."""

    row: int | None = None
    column: str | None = None

    def render(self, language: str) -> dict[str, Any]:
        """The problem as JSON: the cell (e.g. 'F7') as its field, the message with the row and column in front."""
        params = {k: translate(v, language) if k in TRANSLATED_PARAMS else v for k, v in self.params.items()}
        rendered: dict[str, Any] = Problem(self.code, self.message, self.field, params).render(language)
        if self.row is not None and self.column is not None:
            rendered["message"] = translate(CELL_PREFIX, language, row=self.row, column=self.column, text=rendered["message"])
            rendered["field"] = f"{self.column}{self.row}"
        elif self.row is not None:
            rendered["message"] = translate(ROW_PREFIX, language, row=self.row, text=rendered["message"])
            rendered["field"] = f"row {self.row}"
        rendered["row"], rendered["column"] = self.row, self.column
        return rendered

    def to_json(self) -> dict[str, Any]:
        """The problem as stored with a failed change: the message id and parameters, not a translation."""
        params = {k: {"date": v.isoformat()} if isinstance(v, date) else v for k, v in self.params.items()}
        return {"code": self.code, "message": self.message, "field": self.field, "params": params,
                "row": self.row, "column": self.column}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> CellProblem:
        """The inverse of `to_json`."""
        params = {
            k: date.fromisoformat(v["date"]) if isinstance(v, dict) and "date" in v else v
            for k, v in stored.get("params", {}).items()
        }
        return cls(stored["code"], stored["message"], stored.get("field"), params, stored.get("row"), stored.get("column"))


def at(problem: Problem, row: int | None, column: str | None = None) -> CellProblem:
    """A domain problem (from the rules of an individual change) placed in a workbook row and column."""
    return CellProblem(problem.code, problem.message, problem.field, dict(problem.params), row, column)
