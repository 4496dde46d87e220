"""Pre-install scanning: ``distscan pip install …`` and ``distscan uv pip install …``.

The installer runs for real, but against a gate (scanner.gate) started in this process on an
ephemeral loopback port in front of the user's index, so every file it fetches, including
sdists it only builds for metadata, is scanned before its first byte reaches it. Everything
else it could fetch from is refused or neutralised before it starts.

Modules: requirements (what an argument or requirement-file line asks for), arguments (the
installer's command line read as pip / uv read it), index_config (the user's index),
installers (the real command and its environment), local_scan (local artifacts and source
trees), local_gate (the gate in a thread, with a record of what it did), report, run (one
fronted install), resolve (unpinned requirements resolved through the gate), cli.
"""
