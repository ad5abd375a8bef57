
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'zt-broker' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'zt-broker'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'zt-broker' {
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('dev', 'dev', [CompletionResultType]::ParameterValue, 'Run a self-contained development broker on this machine')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the broker as a TOML configuration file describes it')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a configuration file and its catalog without serving')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Inspect the audit log')
            [CompletionResult]::new('ssh', 'ssh', [CompletionResultType]::ParameterValue, 'What SSH hosts need from the broker''s user CA: its public key and its revocation list')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;dev' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The TCP port to listen on (0: any free port; the first line of output names it)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'The loopback address to listen on')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Keep the database and the dev IdP''s signing key here, so requests, grants and logins survive a restart (default: a temporary directory, deleted at exit)')
            [CompletionResult]::new('--catalog', '--catalog', [CompletionResultType]::ParameterName, 'Serve this catalog (TOML, the demo catalog''s format) instead of the demo one')
            [CompletionResult]::new('--policies', '--policies', [CompletionResultType]::ParameterName, 'Decide with the Cedar policies in this directory (`*.cedar`, see policies/README.md) instead of the demo catalog''s groups; reloaded on SIGHUP and when a file there changes')
            [CompletionResult]::new('--review-window', '--review-window', [CompletionResultType]::ParameterName, 'How long a pending request waits for an approver before it expires (e.g. 24h, 30m)')
            [CompletionResult]::new('--claim-window', '--claim-window', [CompletionResultType]::ParameterName, 'How long an approved grant of a role with `activation = "first_use"` waits for its first use before it lapses (e.g. 1h, 30s)')
            [CompletionResult]::new('--ssh-port', '--ssh-port', [CompletionResultType]::ParameterName, 'The port of the sshd the demo catalog''s prod-ssh points at (on 127.0.0.1)')
            [CompletionResult]::new('--ssh-user', '--ssh-user', [CompletionResultType]::ParameterName, 'The login user (certificate principal) of prod-ssh [default: the current user]')
            [CompletionResult]::new('--auto-login', '--auto-login', [CompletionResultType]::ParameterName, 'DEV ONLY: approve every device login as this demo user without asking')
            [CompletionResult]::new('--trust-issuer', '--trust-issuer', [CompletionResultType]::ParameterName, 'Also trust this real OpenID provider, and send `zt login` to it')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The audience the --trust-issuer provider puts in the broker''s access tokens (`zt login` asks for it as the RFC 8707 resource when it is an absolute URI)')
            [CompletionResult]::new('--oncall', '--oncall', [CompletionResultType]::ParameterName, 'Read an on-call schedule from an iCalendar feed: NAME=FILE or NAME=URL (repeatable)')
            [CompletionResult]::new('--oncall-at', '--oncall-at', [CompletionResultType]::ParameterName, 'DEV ONLY: evaluate the --oncall schedules at this instant (RFC 3339) instead of now')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run in the background (log in the state directory); `zt-broker dev stop` ends it')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the dev broker started with --detach')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;dev;stop' {
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt-broker;dev;help' {
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the dev broker started with --detach')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;dev;help;stop' {
            break
        }
        'zt-broker;dev;help;help' {
            break
        }
        'zt-broker;serve' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The configuration file (TOML; relative paths in it are relative to the file)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (TOML; relative paths in it are relative to the file)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt-broker;check' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The configuration file (TOML; relative paths in it are relative to the file)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file (TOML; relative paths in it are relative to the file)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt-broker;audit' {
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the audit log''s hash chain: no row edited, deleted or reordered')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;audit;verify' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The configuration file whose [store] to read')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file whose [store] to read')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'A `zt-broker dev --data-dir` directory')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt-broker;audit;help' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the audit log''s hash chain: no row edited, deleted or reordered')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;audit;help;verify' {
            break
        }
        'zt-broker;audit;help;help' {
            break
        }
        'zt-broker;ssh' {
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Print the SSH user CA''s public key, one line for sshd''s TrustedUserCAKeys file')
            [CompletionResult]::new('krl', 'krl', [CompletionResultType]::ParameterValue, 'Write the key revocation list (KRL) of certificates whose grant ended early')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;ssh;ca' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The configuration file whose [store] to read')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file whose [store] to read')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'A `zt-broker dev --data-dir` directory')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt-broker;ssh;krl' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'The configuration file whose [store] to read')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The configuration file whose [store] to read')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'A `zt-broker dev --data-dir` directory')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the KRL')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt-broker;ssh;help' {
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Print the SSH user CA''s public key, one line for sshd''s TrustedUserCAKeys file')
            [CompletionResult]::new('krl', 'krl', [CompletionResultType]::ParameterValue, 'Write the key revocation list (KRL) of certificates whose grant ended early')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;ssh;help;ca' {
            break
        }
        'zt-broker;ssh;help;krl' {
            break
        }
        'zt-broker;ssh;help;help' {
            break
        }
        'zt-broker;help' {
            [CompletionResult]::new('dev', 'dev', [CompletionResultType]::ParameterValue, 'Run a self-contained development broker on this machine')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the broker as a TOML configuration file describes it')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a configuration file and its catalog without serving')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Inspect the audit log')
            [CompletionResult]::new('ssh', 'ssh', [CompletionResultType]::ParameterValue, 'What SSH hosts need from the broker''s user CA: its public key and its revocation list')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt-broker;help;dev' {
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the dev broker started with --detach')
            break
        }
        'zt-broker;help;dev;stop' {
            break
        }
        'zt-broker;help;serve' {
            break
        }
        'zt-broker;help;check' {
            break
        }
        'zt-broker;help;audit' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the audit log''s hash chain: no row edited, deleted or reordered')
            break
        }
        'zt-broker;help;audit;verify' {
            break
        }
        'zt-broker;help;ssh' {
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Print the SSH user CA''s public key, one line for sshd''s TrustedUserCAKeys file')
            [CompletionResult]::new('krl', 'krl', [CompletionResultType]::ParameterValue, 'Write the key revocation list (KRL) of certificates whose grant ended early')
            break
        }
        'zt-broker;help;ssh;ca' {
            break
        }
        'zt-broker;help;ssh;krl' {
            break
        }
        'zt-broker;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
