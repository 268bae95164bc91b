"""Regenerates docs/cli.md from the Typer app: uv run python scripts/gen_cli_doc.py > docs/cli.md"""

import typer.main

from pulso.cli import app

root = typer.main.get_command(app)
lines = [
    "# Command line: `pulso`",
    "",
    "Every command prints `--help` in English with Spanish after a slash. Settings come from",
    "`PULSO_*` variables (docs/configuration.md). A test (`tests/test_docs.py`) fails when a command",
    "or option is missing here.",
    "",
]


def walk(group, prefix):
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(cmd, "commands"):
            walk(cmd, path)
            continue
        lines.append(f"## `{path}`")
        lines.append("")
        lines.append((cmd.help or "").split("\n")[0].strip())
        lines.append("")
        args = [p for p in cmd.params if p.param_type_name == "argument"]
        if args:
            lines.append("Arguments: " + ", ".join(f"`{a.name.upper()}`" for a in args) + ".")
            lines.append("")
        opts = [p for p in cmd.params if p.param_type_name == "option" and p.name != "help"]
        if opts:
            lines.append("| option | meaning |")
            lines.append("| --- | --- |")
            for o in opts:
                names = " / ".join(f"`{x}`" for x in o.opts + o.secondary_opts)
                default = (
                    ""
                    if o.default in (None, False, [], ()) or (o.is_flag and o.default is False)
                    else f" (default: {o.default})"
                )
                help_text = (o.help or "").replace("|", "\\|").split(" / ")[0]
                lines.append(f"| {names} | {help_text}{default} |")
            lines.append("")


walk(root, "pulso")
print("\n".join(lines))
