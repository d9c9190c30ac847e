import type { CAC, Command } from "cac";
import { UsageError } from "../errors.ts";

const SHELLS = ["bash", "elvish", "fish", "powershell", "zsh"] as const;
type Shell = (typeof SHELLS)[number];

interface CompletionModel {
  commands: { name: string; description: string; flags: string[] }[];
}

export function register(cli: CAC, isHidden: (name: string) => boolean): void {
  cli
    .command("completions <shell>", `Print a shell completion script (${SHELLS.join(", ")})`)
    .example("mirrord completions bash > /etc/bash_completion.d/mirrord")
    .example('mirrord completions zsh > "${fpath[1]}/_mirrord"')
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new UsageError(`unsupported shell \`${shell}\``, `choose one of: ${SHELLS.join(", ")}`);
      }
      process.stdout.write(completionScript(shell as Shell, modelOf(cli.commands, isHidden)));
    });
}

function modelOf(commands: Command[], isHidden: (name: string) => boolean): CompletionModel {
  return {
    commands: commands
      .filter((command) => command.name !== "" && !isHidden(command.name))
      .map((command) => ({
        name: command.name,
        description: command.description.replace(/[`'"]/g, ""),
        flags: [
          ...command.options.flatMap((option) =>
            option.rawName.split(/[ ,]+/).filter((t) => t.startsWith("-")),
          ),
          "--help",
        ],
      })),
  };
}

export function completionScript(shell: Shell, model: CompletionModel): string {
  const names = model.commands.map((c) => c.name);
  switch (shell) {
    case "bash":
      return [
        "_mirrord() {",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" sub="${COMP_WORDS[1]}"',
        '  if [ "$COMP_CWORD" -eq 1 ]; then',
        `    COMPREPLY=($(compgen -W "${names.join(" ")} --help --version" -- "$cur")); return`,
        "  fi",
        '  case "$sub" in',
        ...model.commands.map(
          (c) => `    ${c.name}) COMPREPLY=($(compgen -W "${c.flags.join(" ")}" -- "$cur"));;`,
        ),
        '    *) COMPREPLY=($(compgen -f -- "$cur"));;',
        "  esac",
        "}",
        "complete -o default -F _mirrord mirrord",
        "",
      ].join("\n");
    case "zsh":
      return [
        "#compdef mirrord",
        "_mirrord() {",
        "  local -a subcommands",
        "  subcommands=(",
        ...model.commands.map((c) => `    '${c.name}:${c.description.replace(/:/g, "\\:")}'`),
        "  )",
        "  if (( CURRENT == 2 )); then _describe 'command' subcommands; return; fi",
        "  case $words[2] in",
        ...model.commands.map(
          (c) => `    ${c.name}) _arguments '*: :_files' ${c.flags.map((f) => `'${f}'`).join(" ")};;`,
        ),
        "  esac",
        "}",
        "compdef _mirrord mirrord",
        "",
      ].join("\n");
    case "fish":
      return [
        "complete -c mirrord -f",
        ...model.commands.map(
          (c) =>
            `complete -c mirrord -n "__fish_use_subcommand" -a ${c.name} -d '${c.description.replace(/'/g, "")}'`,
        ),
        ...model.commands.flatMap((c) =>
          c.flags
            .filter((f) => f.startsWith("--"))
            .map((f) => `complete -c mirrord -n "__fish_seen_subcommand_from ${c.name}" -l ${f.slice(2)}`),
        ),
        "",
      ].join("\n");
    case "elvish":
      return [
        "set edit:completion:arg-completer[mirrord] = {|@words|",
        "  var n = (count $words)",
        `  if (== $n 2) { put ${names.join(" ")} } else {`,
        "    var flags = [&",
        ...model.commands.map((c) => `      &${c.name}=[${c.flags.join(" ")}]`),
        "    ]",
        "    if (has-key $flags $words[1]) { all $flags[$words[1]] }",
        "  }",
        "}",
        "",
      ].join("\n");
    case "powershell":
      return [
        "Register-ArgumentCompleter -Native -CommandName mirrord -ScriptBlock {",
        "  param($wordToComplete, $commandAst, $cursorPosition)",
        "  $elements = $commandAst.CommandElements | ForEach-Object { $_.ToString() }",
        "  $flags = @{",
        ...model.commands.map((c) => `    '${c.name}' = @(${c.flags.map((f) => `'${f}'`).join(", ")})`),
        "  }",
        `  $candidates = if ($elements.Count -le 2) { @(${names.map((n) => `'${n}'`).join(", ")}) } else { $flags[$elements[1]] }`,
        '  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {',
        "    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)",
        "  }",
        "}",
        "",
      ].join("\n");
  }
}
