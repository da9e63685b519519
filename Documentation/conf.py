# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of rrelay's documentation ("make htmldocs").
#
# One extension of our own: the "kernel-doc" directive runs the kernel's
# scripts/kernel-doc on a header and inserts the reST it prints, so the
# API reference comes from the comments in the header and nowhere else.
# scripts/htmldocs passes the kernel source tree in RRELAY_KSRC.

import os
import subprocess

from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

project = "rrelay"
copyright = "rrelay developers"
master_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
# Warnings about unresolved kernel types (struct dentry, umode_t) are
# expected: the kernel's own documentation is not part of this build.
nitpicky = False

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class KernelDoc(Directive):
    """``.. kernel-doc:: <path>``: the header's kernel-doc comments as reST.

    A path starting with ``$KSRC/`` is taken from the kernel source tree,
    any other from rrelay's tree.  ``:functions:`` limits the output to
    the named functions (space separated)."""

    required_arguments = 1
    option_spec = {"functions": directives.unchanged}

    def run(self):
        ksrc = os.environ.get("RRELAY_KSRC")
        if not ksrc:
            raise self.error("RRELAY_KSRC is not set: build with make htmldocs")
        path = self.arguments[0]
        if path.startswith("$KSRC/"):
            path = os.path.join(ksrc, path[len("$KSRC/"):])
        else:
            path = os.path.join(ROOT, path)
        cmd = [os.path.join(ksrc, "scripts", "kernel-doc"), "-rst"]
        for f in self.options.get("functions", "").split():
            cmd += ["-function", f]
        cmd.append(path)
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0 or out.stderr.strip():
            raise self.error("kernel-doc %s: %s" % (path, out.stderr.strip()))
        self.state.document.settings.record_dependencies.add(path)
        lines = StringList(out.stdout.splitlines(), source=path)
        self.state_machine.insert_input(lines, path)
        return []


def setup(app):
    app.add_directive("kernel-doc", KernelDoc)
    return {"parallel_read_safe": True}
