#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes warren(1) in roff from what the built binary says of itself.

The command list is `warren --help`; each command's synopsis, text and
options are its own `--help` (and a command that lists sub-commands gets
a section per sub-command, from `warren CMD SUB --help`). Those texts are
printed from the option tables the commands parse with, so the page
cannot drift from the code: a new option shows up here at the next build.
When the binary has `warren config-keys --man` (warren.ini(5), from the
configuration key table), its CONFIGURATION FILE section is this page's
too.

    mkman.py path/to/warren [VERSION] > warren.1
"""
import datetime
import os
import re
import subprocess
import sys

BIN = sys.argv[1]
VERSION = sys.argv[2] if len(sys.argv) > 2 else None


def run(*args):
    """stdout of warren ARGS (exit status 0 or 2 both print help)."""
    p = subprocess.run([BIN, *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return p.stdout if p.stdout.strip() else p.stderr


def esc(text):
    """Roff-escapes running text: backslashes and hyphens."""
    return text.replace("\\", "\\e").replace("-", "\\-")


def line(text):
    """One input line that roff must not take for a request."""
    t = esc(text)
    return "\\&" + t if t[:1] in (".", "'") else t


def blocks(text):
    """Paragraphs of a help text: lists of lines, split at blank lines."""
    out, cur = [], []
    for ln in text.rstrip("\n").split("\n"):
        if ln.strip():
            cur.append(ln.rstrip())
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


OPT = re.compile(r"^\s+(-[^\s].*?)(?:\s{2,}(.*))?$")
CMD = re.compile(r"^\s{2}([a-z][a-z-]*)\s+(\S.*)$")


def parse(text):
    """Splits a help text, in order, into ("usage", lines), ("prose",
    lines), ("opts", [(term, [description lines])]) and ("cmds",
    [(name, description)]) items."""
    items = []
    for b in blocks(text):
        if b[0].startswith("usage:"):
            items.append(("usage", [b[0][len("usage:"):].strip()] +
                          [l.strip() for l in b[1:]]))
            continue
        head = b[0].strip().lower().rstrip(":")
        rows = b[1:] if head in ("options", "commands") else b
        if rows and head != "options" and all(CMD.match(l) for l in rows):
            items.append(("cmds", [CMD.match(l).groups() for l in rows]))
            continue
        if rows and rows[0].lstrip().startswith("-") and OPT.match(rows[0]):
            base = len(rows[0]) - len(rows[0].lstrip())
            opts = []
            for l in rows:
                ind = len(l) - len(l.lstrip())
                m = OPT.match(l)
                if ind == base and m and l.lstrip().startswith("-"):
                    opts.append((m.group(1).strip(),
                                 [m.group(2)] if m.group(2) else []))
                elif opts:
                    opts[-1][1].append(l.strip())
            items.append(("opts", opts))
            continue
        items.append(("prose", b))
    return items


def of(items, kind):
    """Everything of one kind, concatenated."""
    return [x for k, v in items if k == kind for x in v]


def term(t):
    """An option's term in bold, its arguments in italics."""
    words = t.split(" ")
    out = []
    for w in words:
        if w.startswith("-"):
            parts = w.split(",")
            out.append(",".join("\\fB" + esc(p) + "\\fR" if p else p
                                for p in parts))
        else:
            out.append("\\fI" + esc(w) + "\\fR")
    return " ".join(out)


def section(name, text, out):
    """Appends the .SS of one command; returns its sub-commands."""
    items = parse(text)
    out.append(".SS " + esc(name))
    for kind, v in items:
        if kind == "usage":
            out.append(".nf")
            out += [line(u) for u in v]
            out.append(".fi")
        elif kind == "prose":
            out.append(".PP")
            if any(l.startswith("  ") for l in v):
                out.append(".nf")
                out += [line(l) for l in v]
                out.append(".fi")
            else:
                out += [line(l.strip()) for l in v]
        elif kind == "opts":
            for t, desc in v:
                out.append(".TP")
                out.append(term(t))
                for i, d in enumerate(desc):
                    # a row of a small table in a description keeps its line
                    if i and re.match(r"^\S+\s{2,}", d):
                        out.append(".br")
                    out.append(line(d))
        elif kind == "cmds":
            out.append(".PP")
            out.append("Commands:")
            for c, desc in v:
                out += [".TP", "\\fB" + esc(c) + "\\fR", line(desc)]
    return of(items, "cmds")


def main():
    top = parse(run("--help"))
    cmds = of(top, "cmds")
    version = VERSION or run("--version").strip().split(" ", 1)[-1]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    day = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
           if epoch else datetime.datetime.now(datetime.timezone.utc))
    out = [
        '.\\" warren(1), written by samples/packaging/mkman.py from warren --help;',
        '.\\" do not edit: change the commands\' option tables instead.',
        '.TH WARREN 1 "%s" "warren %s" "User Commands"'
        % (day.strftime("%Y-%m-%d"), esc(version)),
        ".SH NAME",
        "warren \\- consumer\\-lag monitor for Apache Kafka",
        ".SH SYNOPSIS",
        ".B warren",
        ".I command",
        "[\\fIoptions\\fR]",
        ".br",
        ".B warren",
        "\\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR",
        ".SH DESCRIPTION",
    ]
    for b in (v for k, v in top if k == "prose"):
        out.append(".PP")
        out += [line(l.strip()) for l in b]
    out.append(".PP")
    out.append("Commands:")
    for name, desc in cmds:
        out += [".TP", "\\fB" + esc(name) + "\\fR", line(desc)]
    out.append(".SH COMMANDS")
    have_config_keys = False
    for name, _ in cmds:
        if name == "config-keys":
            have_config_keys = True
        sub = section("warren " + name, run(name, "--help"), out)
        for sname, _ in sub:
            section("warren %s %s" % (name, sname), run(name, sname, "--help"),
                    out)
    # warren.ini(5), from the configuration key table, minus its own
    # title, name, synopsis and see-also.
    keys = run("config-keys", "--man") if have_config_keys else ""
    body = keys.split("\n.SH CONFIGURATION FILE\n", 1)
    if len(body) == 2:
        out.append(".SH CONFIGURATION FILE")
        out.append(body[1].split("\n.SH SEE ALSO", 1)[0].rstrip("\n"))
    else:
        out.append(".SH CONFIGURATION FILE")
        out += [
            "An INI file given with \\fB\\-\\-config\\fR. Every key and its",
            "default is documented in",
            ".IR /usr/share/doc/warren/samples/warren.ini ."
        ]
    out += [
        ".SH FILES",
        ".TP", ".I /etc/warren/warren.ini",
        "The configuration the packaged service runs with.",
        ".TP", ".I /var/lib/warren",
        "The packaged service's data directory: state snapshots, incidents,",
        "the embedded broker.",
        ".TP", ".I /usr/share/warren/dashboards",
        "The dashboard's files, found from the binary's own location",
        "(\\fI../share/warren/dashboards\\fR beside it).",
        ".SH ENVIRONMENT",
        ".TP", ".B WARREN_DASHBOARD_DIR",
        "Serve the dashboard from this directory instead.",
        ".SH EXIT STATUS",
        "0 on success, 1 when a check failed (an expectation, a delivery),",
        "2 for bad usage or input, with one line naming the file and line.",
        ".SH SEE ALSO",
        ".BR warren.ini (5),",
        ".BR systemctl (1),",
        ".BR journalctl (1)",
    ]
    sys.stdout.write("\n".join(out) + "\n")


main()
