"""Reports of a run: the console table and failures, JSON, and JUnit XML."""

from __future__ import annotations

import json
import pathlib
import re
import xml.etree.ElementTree as ET

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .properties import PROPERTIES

__all__ = ["print_summary", "write_json", "write_junit"]

STYLE = {"pass": "green", "fail": "bold red", "skip": "dim", "error": "bold magenta",
         "xfail": "yellow", "xpass": "bold red"}


def print_summary(reports, console: Console | None = None) -> None:
    """A properties x targets table, then every failure with its reproduction."""
    console = console or Console()
    table = Table(title="tensor_quant conformance", show_lines=False)
    table.add_column("property")
    for report in reports:
        table.add_column(escape(f"{report.name}\n[{report.device}]"), justify="center")
    names = [n for n in PROPERTIES if any(r.property == n for rep in reports
                                          for r in rep.results)]
    for name in names:
        row = [name]
        for report in reports:
            result = next((r for r in report.results if r.property == name), None)
            row.append("" if result is None else f"[{STYLE[result.status]}]{result.status}[/]")
        table.add_row(*row)
    table.add_row(*(["verdict"] + [
        "[green]conforms[/]" if r.conforms else "[bold red]does not conform[/]"
        for r in reports]), end_section=True)
    console.print(table)
    for report in reports:
        for problem in report.all_problems:
            console.print(Panel(escape(problem), border_style="bold red",
                                title=escape(f"{report.name} [{report.device}]: does not conform")))
        for result in report.results:
            if result.status == "skip":
                console.print(f"[dim]{escape(report.name)}: {result.property} skipped: "
                              f"{escape(result.reason)}[/]")
        for result in report.results:
            if result.status not in ("fail", "error", "xpass"):
                continue
            title = f"{report.name} [{report.device}]: {result.property} {result.status.upper()}"
            body = [f"Rule: {result.rule}", f"What happened: {result.reason}"]
            console.print(Panel(escape("\n".join(body)), title=escape(title),
                                border_style=STYLE[result.status]))
            if result.counterexample is not None:
                console.print("Reproduction (paste into Python):")
                # Never wrapped nor cropped at the console width: a wrapped "# comment"
                # line would turn into code, so every line must paste as it is.
                console.print(result.counterexample.reproduction, soft_wrap=True,
                              markup=False, highlight=False)


def write_json(reports, path) -> None:
    document = {"conforms": all(r.conforms for r in reports),
                "targets": [r.to_json() for r in reports]}
    pathlib.Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


#: Characters XML 1.0 cannot hold (a target's messages may carry any).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: ascii(m.group())[1:-1], text)


def write_junit(reports, path) -> None:
    """One testsuite per target, one testcase per property (CI dashboards read this).

    Target-wide problems (nothing checked, a changed process) are one more
    failing testcase, ``target``.
    """
    root = ET.Element("testsuites", name="tensor_quant conformance")
    for report in reports:
        results = report.results
        problems = report.all_problems
        suite = ET.SubElement(root, "testsuite", name=_xml(f"{report.name}[{report.device}]"),
                              tests=str(len(results) + bool(problems)),
                              failures=str(sum(r.status in ("fail", "xpass") for r in results)
                                           + bool(problems)),
                              errors=str(sum(r.status == "error" for r in results)),
                              skipped=str(sum(r.status in ("skip", "xfail") for r in results)),
                              time=f"{sum(r.duration for r in results):.3f}")
        for result in results:
            case = ET.SubElement(suite, "testcase", classname=_xml(f"conformance.{report.target}"),
                                 name=result.property, time=f"{result.duration:.3f}")
            detail = result.reason
            if result.counterexample is not None:
                detail += "\n\n" + result.counterexample.reproduction
            message, detail = _xml(result.reason[:500]), _xml(detail)
            if result.status in ("fail", "xpass"):
                ET.SubElement(case, "failure", message=message).text = detail
            elif result.status == "error":
                ET.SubElement(case, "error", message=message).text = detail
            elif result.status in ("skip", "xfail"):
                ET.SubElement(case, "skipped", message=message)
        if problems:
            case = ET.SubElement(suite, "testcase", classname=_xml(f"conformance.{report.target}"),
                                 name="target", time="0.000")
            ET.SubElement(case, "failure", message=_xml(problems[0][:500])).text = _xml(
                "\n".join(problems))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
