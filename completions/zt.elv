
use builtin;
use str;

set edit:completion:arg-completer[zt] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'zt'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'zt'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Log in to a broker with your organisation''s single sign-on'
            cand logout 'Forget the stored tokens of this profile, revoke its live grants and wipe what they left on this machine'
            cand whoami 'Show who the broker thinks you are'
            cand doctor 'Check the setup: profile, broker, identity provider, token store, files, reaper'
            cand catalog 'List what you may request'
            cand request 'Request access to a resource, wait for the decision, and write the credentials'
            cand env 'Print shell exports for a grant''s credentials (`eval "$(zt env GRANT)"`)'
            cand exec 'Run a command with a grant''s credentials in its environment only — nothing on disk'
            cand approve 'Approve someone else''s pending request'
            cand deny 'Deny someone else''s pending request'
            cand inbox 'List the pending requests you may approve'
            cand status 'List your grants and the time each has left'
            cand prompt 'Print a short segment for a shell prompt: your live grants and the time each has left'
            cand revoke 'End a grant now and remove its credentials from this machine'
            cand extend 'Ask for more time on a live grant'
            cand credential 'Print credentials for a grant, as a kubectl or AWS credential helper'
            cand reap 'Remove the credentials of grants whose time is up'
            cand completions 'Print a shell completion script'
            cand man 'Write the man pages (used to build `man/`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt;login'= {
            cand --broker 'The broker''s URL (its `/.well-known/zt` says where to log in)'
            cand --login-hint 'Who you are, as a hint to the identity provider (OIDC `login_hint`); the development provider of `zt-broker dev --auto-login` signs you in as this user'
            cand --issuer 'The OpenID provider''s issuer URL, when the broker''s advertised one needs overriding'
            cand --client-id 'The OAuth client id to use at the provider (default: what the broker advertises)'
            cand --scope 'A scope to ask for (repeatable; default: what the broker advertises)'
            cand --audience 'The audience (RFC 8707 resource) to ask the provider for (default: the broker''s)'
            cand --oidc-token-file 'Log in as a workload (CI job) with the platform''s OIDC token read from this file on every call — no prompt, nothing secret stored'
            cand --oidc-token-env 'Like --oidc-token-file, reading the token from this environment variable'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --no-browser 'Never open a browser; only print the URL and code'
            cand --insecure-storage 'Store tokens in a plain file (mode 0600) when no OS keyring is available'
            cand --force 'Log in again even when already logged in'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;logout'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --keep-grants 'Leave the profile''s live grants running at the broker (they still end at their TTL); only this machine''s copies of their credentials are removed'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;whoami'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;doctor'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;catalog'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;request'= {
            cand -r 'The role to request (default: the resource''s default role)'
            cand --role 'The role to request (default: the resource''s default role)'
            cand --ttl 'How long the access should last (e.g. 30m, 1h, 90s)'
            cand --reason 'Why you need it (shown to approvers, kept in the audit log)'
            cand --ticket 'A ticket or incident id (INC-4211)'
            cand --timeout 'Give up waiting for approval after this long (the request stays open)'
            cand --start-at 'Start the grant at this time instead of at approval: HH:MM (local time, today), "YYYY-MM-DD HH:MM" (local) or RFC 3339'
            cand --start-in 'Start the grant this long from now instead of at approval (e.g. 2h, 30m)'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --break-glass 'Emergency access outside normal policy (only for groups allowed it; always flagged)'
            cand --no-wait 'Do not wait for an approver; print the request id and exit'
            cand --use 'Make the new kubeconfig context the current one (restored when the grant ends)'
            cand --static 'AWS: write the keys to the shared credentials file instead of a credential_process profile (for tools that cannot run a process; still wiped at TTL)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;env'= {
            cand --shell 'The shell to print for'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;exec'= {
            cand -r 'The role to request (default: the resource''s default role)'
            cand --role 'The role to request (default: the resource''s default role)'
            cand --ttl 'How long the access should last (e.g. 30m, 1h, 90s)'
            cand --reason 'Why you need it (shown to approvers, kept in the audit log)'
            cand --ticket 'A ticket or incident id (INC-4211)'
            cand --timeout 'Give up waiting for approval after this long (the request stays open)'
            cand --start-at 'Start the grant at this time instead of at approval: HH:MM (local time, today), "YYYY-MM-DD HH:MM" (local) or RFC 3339'
            cand --start-in 'Start the grant this long from now instead of at approval (e.g. 2h, 30m)'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --break-glass 'Emergency access outside normal policy (only for groups allowed it; always flagged)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;approve'= {
            cand --comment 'A note kept with the decision'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;deny'= {
            cand --comment 'A note kept with the decision'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;inbox'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;status'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --watch 'Redraw a countdown of the live grants every second until the last one ends (or Ctrl-C)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;prompt'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;revoke'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;extend'= {
            cand --ttl 'How long from now the grant should last (e.g. 30m, 1h)'
            cand --reason 'Why you need more time (kept in the audit log)'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;credential'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand kube 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)'
            cand aws 'Print AWS credential_process JSON (Version 1, with Expiration)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt;credential;kube'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;credential;aws'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;credential;help'= {
            cand kube 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)'
            cand aws 'Print AWS credential_process JSON (Version 1, with Expiration)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt;credential;help;kube'= {
        }
        &'zt;credential;help;aws'= {
        }
        &'zt;credential;help;help'= {
        }
        &'zt;reap'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --dry-run 'Only show what would be removed'
            cand --daemon 'Stay in the background and reap each grant when its time is up (started by zt itself)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;completions'= {
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;man'= {
            cand --out-dir 'Where to write `zt.1` and one page per subcommand'
            cand --profile 'Which broker login to use (several can live side by side)'
            cand --json 'Print machine-readable JSON on stdout instead of text'
            cand --verbose 'On an error, also print what caused it (the chain of underlying errors)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt;help'= {
            cand login 'Log in to a broker with your organisation''s single sign-on'
            cand logout 'Forget the stored tokens of this profile, revoke its live grants and wipe what they left on this machine'
            cand whoami 'Show who the broker thinks you are'
            cand doctor 'Check the setup: profile, broker, identity provider, token store, files, reaper'
            cand catalog 'List what you may request'
            cand request 'Request access to a resource, wait for the decision, and write the credentials'
            cand env 'Print shell exports for a grant''s credentials (`eval "$(zt env GRANT)"`)'
            cand exec 'Run a command with a grant''s credentials in its environment only — nothing on disk'
            cand approve 'Approve someone else''s pending request'
            cand deny 'Deny someone else''s pending request'
            cand inbox 'List the pending requests you may approve'
            cand status 'List your grants and the time each has left'
            cand prompt 'Print a short segment for a shell prompt: your live grants and the time each has left'
            cand revoke 'End a grant now and remove its credentials from this machine'
            cand extend 'Ask for more time on a live grant'
            cand credential 'Print credentials for a grant, as a kubectl or AWS credential helper'
            cand reap 'Remove the credentials of grants whose time is up'
            cand completions 'Print a shell completion script'
            cand man 'Write the man pages (used to build `man/`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt;help;login'= {
        }
        &'zt;help;logout'= {
        }
        &'zt;help;whoami'= {
        }
        &'zt;help;doctor'= {
        }
        &'zt;help;catalog'= {
        }
        &'zt;help;request'= {
        }
        &'zt;help;env'= {
        }
        &'zt;help;exec'= {
        }
        &'zt;help;approve'= {
        }
        &'zt;help;deny'= {
        }
        &'zt;help;inbox'= {
        }
        &'zt;help;status'= {
        }
        &'zt;help;prompt'= {
        }
        &'zt;help;revoke'= {
        }
        &'zt;help;extend'= {
        }
        &'zt;help;credential'= {
            cand kube 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)'
            cand aws 'Print AWS credential_process JSON (Version 1, with Expiration)'
        }
        &'zt;help;credential;kube'= {
        }
        &'zt;help;credential;aws'= {
        }
        &'zt;help;reap'= {
        }
        &'zt;help;completions'= {
        }
        &'zt;help;man'= {
        }
        &'zt;help;help'= {
        }
    ]
    $completions[$command]
}
