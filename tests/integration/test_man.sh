#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# warren(1), as samples/packaging/mkman.py writes it from the binary under test:
# valid roff without warnings; a section for every command and
# sub-command `warren --help` lists; in each, every option that command's
# own --help names; and in CONFIGURATION FILE every key of the key table
# (`warren config-keys`) under its section.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"

python3 samples/packaging/mkman.py "$WARREN_BIN" >"$tmp/warren.1" 2>"$tmp/err"
rc=$?
check "mkman.py writes the page" "$([ "$rc" -eq 0 ] && [ -s "$tmp/warren.1" ]
    echo $?)"
groff -man -ww -z "$tmp/warren.1" >"$tmp/groff" 2>&1
rc=$?
check "groff reads it without a warning" \
    "$([ "$rc" -eq 0 ] && [ ! -s "$tmp/groff" ]; echo $?)"
[ -s "$tmp/groff" ] && head -n 5 "$tmp/groff"

cat >"$tmp/compare.py" <<'PY'
import re, subprocess, sys

bin_, page = sys.argv[1], open(sys.argv[2]).read()

def help_of(*args):
    p = subprocess.run([bin_, *args, "--help"], capture_output=True,
                       text=True)
    return p.stdout or p.stderr

def commands(text):
    m = re.search(r"\ncommands:\n((?:  \S.*\n?)+)", text)
    return [l.split()[0] for l in m.group(1).splitlines()] if m else []

def unroff(s):
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")

OPT = r"(?<![\w-])--?[A-Za-z][\w-]*"
sections = {}
for m in re.finditer(r"^\.SS (.*)\n((?:(?!\.S[SH] ).*\n)*)", page, re.M):
    sections[unroff(m.group(1))] = unroff(m.group(2))
missing = []
checked = 0
todo = [(c,) for c in commands(help_of())]
if not todo:
    missing.append("no commands in warren --help")
while todo:
    cmd = todo.pop(0)
    name = "warren " + " ".join(cmd)
    text = help_of(*cmd)
    todo += [cmd + (s,) for s in commands(text)]
    if name not in sections:
        missing.append("no section " + name)
        continue
    sec = sections[name]
    terms = "\n".join(re.findall(r"^\.TP\n(.*)$", sec, re.M))
    listed = set()
    for row in re.findall(r"^ +(-.*?)(?:  |$)", text, re.M):
        listed |= set(re.findall(OPT, row))
    for opt in sorted(set(re.findall(OPT, text))):
        checked += 1
        # an option of the help's list is an entry of the page's list
        where = terms if opt in listed else sec
        if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])",
                         where):
            missing.append("%s: %s" % (name, opt))
cfg = page.split("\n.SH CONFIGURATION FILE\n", 1)
keys = subprocess.run([bin_, "config-keys"], capture_output=True,
                      text=True).stdout.splitlines()
if keys and len(cfg) == 2:
    body = unroff(cfg[1].split("\n.SH ", 1)[0])
    for k in keys:
        sect, key = k.split()[:2]
        checked += 1
        # [cluster] keys are under ".SS [cluster NAME]"
        part = re.split(r"^\.SS " + re.escape(sect[:-1]) + r"(?: NAME)?\]$",
                        body, 1, re.M)
        name_ = re.escape(key) + ("NAME" if key.endswith(".") else "")
        if len(part) != 2 or not re.search(
                r"^\.B " + name_ + r"$", part[1].split(".SS ")[0], re.M):
            missing.append("config %s %s" % (sect, key))
elif keys:
    missing.append("no CONFIGURATION FILE section")
print("%d options and keys compared" % checked)
for m in missing:
    print("missing: " + m)
sys.exit(1 if missing else 0)
PY
python3 "$tmp/compare.py" "$WARREN_BIN" "$tmp/warren.1" >"$tmp/cmp"
rc=$?
check "every command, option and config key is in the page: $(head -n 1 "$tmp/cmp")" \
    "$rc"
[ "$rc" -eq 0 ] || head -n 20 "$tmp/cmp"

# The comparison can fail: a page without serve's --demo is caught.
grep -v 'fB\\-\\-demo\\fR' "$tmp/warren.1" >"$tmp/cut.1"
python3 "$tmp/compare.py" "$WARREN_BIN" "$tmp/cut.1" >"$tmp/cmp2"
check "  and a page without serve --demo is caught" \
    "$(grep -q 'missing: warren serve: --demo' "$tmp/cmp2"; echo $?)"
check "the title names the version" \
    "$(grep -q "^\.TH WARREN 1 .* \"warren $("$WARREN_BIN" --version |
        cut -d' ' -f2 | sed 's/-/\\\\-/g')\"" "$tmp/warren.1"; echo $?)"
finish test_man
