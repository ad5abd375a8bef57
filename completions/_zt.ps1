
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'zt' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'zt'
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
        'zt' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a broker with your organisation''s single sign-on')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the stored tokens of this profile, revoke its live grants and wipe what they left on this machine')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who the broker thinks you are')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup: profile, broker, identity provider, token store, files, reaper')
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'List what you may request')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Request access to a resource, wait for the decision, and write the credentials')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print shell exports for a grant''s credentials (`eval "$(zt env GRANT)"`)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a grant''s credentials in its environment only — nothing on disk')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve someone else''s pending request')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny someone else''s pending request')
            [CompletionResult]::new('inbox', 'inbox', [CompletionResultType]::ParameterValue, 'List the pending requests you may approve')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List your grants and the time each has left')
            [CompletionResult]::new('prompt', 'prompt', [CompletionResultType]::ParameterValue, 'Print a short segment for a shell prompt: your live grants and the time each has left')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End a grant now and remove its credentials from this machine')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Ask for more time on a live grant')
            [CompletionResult]::new('credential', 'credential', [CompletionResultType]::ParameterValue, 'Print credentials for a grant, as a kubectl or AWS credential helper')
            [CompletionResult]::new('reap', 'reap', [CompletionResultType]::ParameterValue, 'Remove the credentials of grants whose time is up')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (used to build `man/`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt;login' {
            [CompletionResult]::new('--broker', '--broker', [CompletionResultType]::ParameterName, 'The broker''s URL (its `/.well-known/zt` says where to log in)')
            [CompletionResult]::new('--login-hint', '--login-hint', [CompletionResultType]::ParameterName, 'Who you are, as a hint to the identity provider (OIDC `login_hint`); the development provider of `zt-broker dev --auto-login` signs you in as this user')
            [CompletionResult]::new('--issuer', '--issuer', [CompletionResultType]::ParameterName, 'The OpenID provider''s issuer URL, when the broker''s advertised one needs overriding')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'The OAuth client id to use at the provider (default: what the broker advertises)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A scope to ask for (repeatable; default: what the broker advertises)')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'The audience (RFC 8707 resource) to ask the provider for (default: the broker''s)')
            [CompletionResult]::new('--oidc-token-file', '--oidc-token-file', [CompletionResultType]::ParameterName, 'Log in as a workload (CI job) with the platform''s OIDC token read from this file on every call — no prompt, nothing secret stored')
            [CompletionResult]::new('--oidc-token-env', '--oidc-token-env', [CompletionResultType]::ParameterName, 'Like --oidc-token-file, reading the token from this environment variable')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Never open a browser; only print the URL and code')
            [CompletionResult]::new('--insecure-storage', '--insecure-storage', [CompletionResultType]::ParameterName, 'Store tokens in a plain file (mode 0600) when no OS keyring is available')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Log in again even when already logged in')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;logout' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--keep-grants', '--keep-grants', [CompletionResultType]::ParameterName, 'Leave the profile''s live grants running at the broker (they still end at their TTL); only this machine''s copies of their credentials are removed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;whoami' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;doctor' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;catalog' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;request' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The role to request (default: the resource''s default role)')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'The role to request (default: the resource''s default role)')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'How long the access should last (e.g. 30m, 1h, 90s)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need it (shown to approvers, kept in the audit log)')
            [CompletionResult]::new('--ticket', '--ticket', [CompletionResultType]::ParameterName, 'A ticket or incident id (INC-4211)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up waiting for approval after this long (the request stays open)')
            [CompletionResult]::new('--start-at', '--start-at', [CompletionResultType]::ParameterName, 'Start the grant at this time instead of at approval: HH:MM (local time, today), "YYYY-MM-DD HH:MM" (local) or RFC 3339')
            [CompletionResult]::new('--start-in', '--start-in', [CompletionResultType]::ParameterName, 'Start the grant this long from now instead of at approval (e.g. 2h, 30m)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--break-glass', '--break-glass', [CompletionResultType]::ParameterName, 'Emergency access outside normal policy (only for groups allowed it; always flagged)')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Do not wait for an approver; print the request id and exit')
            [CompletionResult]::new('--use', '--use', [CompletionResultType]::ParameterName, 'Make the new kubeconfig context the current one (restored when the grant ends)')
            [CompletionResult]::new('--static', '--static', [CompletionResultType]::ParameterName, 'AWS: write the keys to the shared credentials file instead of a credential_process profile (for tools that cannot run a process; still wiped at TTL)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;env' {
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'The shell to print for')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;exec' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The role to request (default: the resource''s default role)')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'The role to request (default: the resource''s default role)')
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'How long the access should last (e.g. 30m, 1h, 90s)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need it (shown to approvers, kept in the audit log)')
            [CompletionResult]::new('--ticket', '--ticket', [CompletionResultType]::ParameterName, 'A ticket or incident id (INC-4211)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up waiting for approval after this long (the request stays open)')
            [CompletionResult]::new('--start-at', '--start-at', [CompletionResultType]::ParameterName, 'Start the grant at this time instead of at approval: HH:MM (local time, today), "YYYY-MM-DD HH:MM" (local) or RFC 3339')
            [CompletionResult]::new('--start-in', '--start-in', [CompletionResultType]::ParameterName, 'Start the grant this long from now instead of at approval (e.g. 2h, 30m)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--break-glass', '--break-glass', [CompletionResultType]::ParameterName, 'Emergency access outside normal policy (only for groups allowed it; always flagged)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;approve' {
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'A note kept with the decision')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;deny' {
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'A note kept with the decision')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;inbox' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;status' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Redraw a countdown of the live grants every second until the last one ends (or Ctrl-C)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;prompt' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;revoke' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;extend' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'How long from now the grant should last (e.g. 30m, 1h)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why you need more time (kept in the audit log)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;credential' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('kube', 'kube', [CompletionResultType]::ParameterValue, 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)')
            [CompletionResult]::new('aws', 'aws', [CompletionResultType]::ParameterValue, 'Print AWS credential_process JSON (Version 1, with Expiration)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt;credential;kube' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;credential;aws' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;credential;help' {
            [CompletionResult]::new('kube', 'kube', [CompletionResultType]::ParameterValue, 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)')
            [CompletionResult]::new('aws', 'aws', [CompletionResultType]::ParameterValue, 'Print AWS credential_process JSON (Version 1, with Expiration)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt;credential;help;kube' {
            break
        }
        'zt;credential;help;aws' {
            break
        }
        'zt;credential;help;help' {
            break
        }
        'zt;reap' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only show what would be removed')
            [CompletionResult]::new('--daemon', '--daemon', [CompletionResultType]::ParameterName, 'Stay in the background and reap each grant when its time is up (started by zt itself)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;completions' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;man' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Where to write `zt.1` and one page per subcommand')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Which broker login to use (several can live side by side)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print machine-readable JSON on stdout instead of text')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'On an error, also print what caused it (the chain of underlying errors)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zt;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Log in to a broker with your organisation''s single sign-on')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Forget the stored tokens of this profile, revoke its live grants and wipe what they left on this machine')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who the broker thinks you are')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the setup: profile, broker, identity provider, token store, files, reaper')
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'List what you may request')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Request access to a resource, wait for the decision, and write the credentials')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print shell exports for a grant''s credentials (`eval "$(zt env GRANT)"`)')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with a grant''s credentials in its environment only — nothing on disk')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve someone else''s pending request')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny someone else''s pending request')
            [CompletionResult]::new('inbox', 'inbox', [CompletionResultType]::ParameterValue, 'List the pending requests you may approve')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'List your grants and the time each has left')
            [CompletionResult]::new('prompt', 'prompt', [CompletionResultType]::ParameterValue, 'Print a short segment for a shell prompt: your live grants and the time each has left')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'End a grant now and remove its credentials from this machine')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Ask for more time on a live grant')
            [CompletionResult]::new('credential', 'credential', [CompletionResultType]::ParameterValue, 'Print credentials for a grant, as a kubectl or AWS credential helper')
            [CompletionResult]::new('reap', 'reap', [CompletionResultType]::ParameterValue, 'Remove the credentials of grants whose time is up')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (used to build `man/`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zt;help;login' {
            break
        }
        'zt;help;logout' {
            break
        }
        'zt;help;whoami' {
            break
        }
        'zt;help;doctor' {
            break
        }
        'zt;help;catalog' {
            break
        }
        'zt;help;request' {
            break
        }
        'zt;help;env' {
            break
        }
        'zt;help;exec' {
            break
        }
        'zt;help;approve' {
            break
        }
        'zt;help;deny' {
            break
        }
        'zt;help;inbox' {
            break
        }
        'zt;help;status' {
            break
        }
        'zt;help;prompt' {
            break
        }
        'zt;help;revoke' {
            break
        }
        'zt;help;extend' {
            break
        }
        'zt;help;credential' {
            [CompletionResult]::new('kube', 'kube', [CompletionResultType]::ParameterValue, 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)')
            [CompletionResult]::new('aws', 'aws', [CompletionResultType]::ParameterValue, 'Print AWS credential_process JSON (Version 1, with Expiration)')
            break
        }
        'zt;help;credential;kube' {
            break
        }
        'zt;help;credential;aws' {
            break
        }
        'zt;help;reap' {
            break
        }
        'zt;help;completions' {
            break
        }
        'zt;help;man' {
            break
        }
        'zt;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
