# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_zt_global_optspecs
    string join \n profile= json verbose h/help V/version
end

function __fish_zt_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_zt_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_zt_using_subcommand
    set -l cmd (__fish_zt_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c zt -n "__fish_zt_needs_command" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_needs_command" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_needs_command" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_needs_command" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_needs_command" -f -a "login" -d 'Log in to a broker with your organisation\'s single sign-on'
complete -c zt -n "__fish_zt_needs_command" -f -a "logout" -d 'Forget the stored tokens of this profile, revoke its live grants and wipe what they left on this machine'
complete -c zt -n "__fish_zt_needs_command" -f -a "whoami" -d 'Show who the broker thinks you are'
complete -c zt -n "__fish_zt_needs_command" -f -a "doctor" -d 'Check the setup: profile, broker, identity provider, token store, files, reaper'
complete -c zt -n "__fish_zt_needs_command" -f -a "catalog" -d 'List what you may request'
complete -c zt -n "__fish_zt_needs_command" -f -a "request" -d 'Request access to a resource, wait for the decision, and write the credentials'
complete -c zt -n "__fish_zt_needs_command" -f -a "env" -d 'Print shell exports for a grant\'s credentials (`eval "$(zt env GRANT)"`)'
complete -c zt -n "__fish_zt_needs_command" -f -a "exec" -d 'Run a command with a grant\'s credentials in its environment only — nothing on disk'
complete -c zt -n "__fish_zt_needs_command" -f -a "approve" -d 'Approve someone else\'s pending request'
complete -c zt -n "__fish_zt_needs_command" -f -a "deny" -d 'Deny someone else\'s pending request'
complete -c zt -n "__fish_zt_needs_command" -f -a "inbox" -d 'List the pending requests you may approve'
complete -c zt -n "__fish_zt_needs_command" -f -a "status" -d 'List your grants and the time each has left'
complete -c zt -n "__fish_zt_needs_command" -f -a "revoke" -d 'End a grant now and remove its credentials from this machine'
complete -c zt -n "__fish_zt_needs_command" -f -a "extend" -d 'Ask for more time on a live grant'
complete -c zt -n "__fish_zt_needs_command" -f -a "credential" -d 'Print credentials for a grant, as a kubectl or AWS credential helper'
complete -c zt -n "__fish_zt_needs_command" -f -a "reap" -d 'Remove the credentials of grants whose time is up'
complete -c zt -n "__fish_zt_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c zt -n "__fish_zt_needs_command" -f -a "man" -d 'Write the man pages (used to build `man/`)'
complete -c zt -n "__fish_zt_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt -n "__fish_zt_using_subcommand login" -l broker -d 'The broker\'s URL (its `/.well-known/zt` says where to log in)' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l login-hint -d 'Who you are, as a hint to the identity provider (OIDC `login_hint`); the development provider of `zt-broker dev --auto-login` signs you in as this user' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l issuer -d 'The OpenID provider\'s issuer URL, when the broker\'s advertised one needs overriding' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l client-id -d 'The OAuth client id to use at the provider (default: what the broker advertises)' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l scope -d 'A scope to ask for (repeatable; default: what the broker advertises)' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l audience -d 'The audience (RFC 8707 resource) to ask the provider for (default: the broker\'s)' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l oidc-token-file -d 'Log in as a workload (CI job) with the platform\'s OIDC token read from this file on every call — no prompt, nothing secret stored' -r -F
complete -c zt -n "__fish_zt_using_subcommand login" -l oidc-token-env -d 'Like --oidc-token-file, reading the token from this environment variable' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand login" -l no-browser -d 'Never open a browser; only print the URL and code'
complete -c zt -n "__fish_zt_using_subcommand login" -l insecure-storage -d 'Store tokens in a plain file (mode 0600) when no OS keyring is available'
complete -c zt -n "__fish_zt_using_subcommand login" -l force -d 'Log in again even when already logged in'
complete -c zt -n "__fish_zt_using_subcommand login" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand login" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand login" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand logout" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand logout" -l keep-grants -d 'Leave the profile\'s live grants running at the broker (they still end at their TTL); only this machine\'s copies of their credentials are removed'
complete -c zt -n "__fish_zt_using_subcommand logout" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand logout" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand logout" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand whoami" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand whoami" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand whoami" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand whoami" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand whoami" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand doctor" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand doctor" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand doctor" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand catalog" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand catalog" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand catalog" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand catalog" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand catalog" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand request" -s r -l role -d 'The role to request (default: the resource\'s default role)' -r
complete -c zt -n "__fish_zt_using_subcommand request" -l ttl -d 'How long the access should last (e.g. 30m, 1h, 90s)' -r
complete -c zt -n "__fish_zt_using_subcommand request" -l reason -d 'Why you need it (shown to approvers, kept in the audit log)' -r
complete -c zt -n "__fish_zt_using_subcommand request" -l ticket -d 'A ticket or incident id (INC-4211)' -r
complete -c zt -n "__fish_zt_using_subcommand request" -l timeout -d 'Give up waiting for approval after this long (the request stays open)' -r
complete -c zt -n "__fish_zt_using_subcommand request" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand request" -l break-glass -d 'Emergency access outside normal policy (only for groups allowed it; always flagged)'
complete -c zt -n "__fish_zt_using_subcommand request" -l no-wait -d 'Do not wait for an approver; print the request id and exit'
complete -c zt -n "__fish_zt_using_subcommand request" -l use -d 'Make the new kubeconfig context the current one (restored when the grant ends)'
complete -c zt -n "__fish_zt_using_subcommand request" -l static -d 'AWS: write the keys to the shared credentials file instead of a credential_process profile (for tools that cannot run a process; still wiped at TTL)'
complete -c zt -n "__fish_zt_using_subcommand request" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand request" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand request" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand request" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand env" -l shell -d 'The shell to print for' -r -f -a "bash\t''
zsh\t''
fish\t''
powershell\t''"
complete -c zt -n "__fish_zt_using_subcommand env" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand env" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand env" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand env" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand exec" -s r -l role -d 'The role to request (default: the resource\'s default role)' -r
complete -c zt -n "__fish_zt_using_subcommand exec" -l ttl -d 'How long the access should last (e.g. 30m, 1h, 90s)' -r
complete -c zt -n "__fish_zt_using_subcommand exec" -l reason -d 'Why you need it (shown to approvers, kept in the audit log)' -r
complete -c zt -n "__fish_zt_using_subcommand exec" -l ticket -d 'A ticket or incident id (INC-4211)' -r
complete -c zt -n "__fish_zt_using_subcommand exec" -l timeout -d 'Give up waiting for approval after this long (the request stays open)' -r
complete -c zt -n "__fish_zt_using_subcommand exec" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand exec" -l break-glass -d 'Emergency access outside normal policy (only for groups allowed it; always flagged)'
complete -c zt -n "__fish_zt_using_subcommand exec" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand exec" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand exec" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand approve" -l comment -d 'A note kept with the decision' -r
complete -c zt -n "__fish_zt_using_subcommand approve" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand approve" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand approve" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand approve" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand deny" -l comment -d 'A note kept with the decision' -r
complete -c zt -n "__fish_zt_using_subcommand deny" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand deny" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand deny" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand deny" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand deny" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand inbox" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand inbox" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand inbox" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand inbox" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand inbox" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand status" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand status" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand status" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand status" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand revoke" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand revoke" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand revoke" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand revoke" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand extend" -l ttl -d 'How long from now the grant should last (e.g. 30m, 1h)' -r
complete -c zt -n "__fish_zt_using_subcommand extend" -l reason -d 'Why you need more time (kept in the audit log)' -r
complete -c zt -n "__fish_zt_using_subcommand extend" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand extend" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand extend" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand extend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand extend" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -f -a "kube" -d 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)'
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -f -a "aws" -d 'Print AWS credential_process JSON (Version 1, with Expiration)'
complete -c zt -n "__fish_zt_using_subcommand credential; and not __fish_seen_subcommand_from kube aws help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from kube" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from kube" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from kube" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from kube" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from kube" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from aws" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from aws" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from aws" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from aws" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from aws" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from help" -f -a "kube" -d 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from help" -f -a "aws" -d 'Print AWS credential_process JSON (Version 1, with Expiration)'
complete -c zt -n "__fish_zt_using_subcommand credential; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt -n "__fish_zt_using_subcommand reap" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand reap" -l dry-run -d 'Only show what would be removed'
complete -c zt -n "__fish_zt_using_subcommand reap" -l daemon -d 'Stay in the background and reap each grant when its time is up (started by zt itself)'
complete -c zt -n "__fish_zt_using_subcommand reap" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand reap" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand reap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand reap" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand completions" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand completions" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand completions" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand man" -l out-dir -d 'Where to write `zt.1` and one page per subcommand' -r -F
complete -c zt -n "__fish_zt_using_subcommand man" -l profile -d 'Which broker login to use (several can live side by side)' -r
complete -c zt -n "__fish_zt_using_subcommand man" -l json -d 'Print machine-readable JSON on stdout instead of text'
complete -c zt -n "__fish_zt_using_subcommand man" -l verbose -d 'On an error, also print what caused it (the chain of underlying errors)'
complete -c zt -n "__fish_zt_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt -n "__fish_zt_using_subcommand man" -s V -l version -d 'Print version'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "login" -d 'Log in to a broker with your organisation\'s single sign-on'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "logout" -d 'Forget the stored tokens of this profile, revoke its live grants and wipe what they left on this machine'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "whoami" -d 'Show who the broker thinks you are'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "doctor" -d 'Check the setup: profile, broker, identity provider, token store, files, reaper'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "catalog" -d 'List what you may request'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "request" -d 'Request access to a resource, wait for the decision, and write the credentials'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "env" -d 'Print shell exports for a grant\'s credentials (`eval "$(zt env GRANT)"`)'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "exec" -d 'Run a command with a grant\'s credentials in its environment only — nothing on disk'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "approve" -d 'Approve someone else\'s pending request'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "deny" -d 'Deny someone else\'s pending request'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "inbox" -d 'List the pending requests you may approve'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "status" -d 'List your grants and the time each has left'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "revoke" -d 'End a grant now and remove its credentials from this machine'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "extend" -d 'Ask for more time on a live grant'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "credential" -d 'Print credentials for a grant, as a kubectl or AWS credential helper'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "reap" -d 'Remove the credentials of grants whose time is up'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "man" -d 'Write the man pages (used to build `man/`)'
complete -c zt -n "__fish_zt_using_subcommand help; and not __fish_seen_subcommand_from login logout whoami doctor catalog request env exec approve deny inbox status revoke extend credential reap completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt -n "__fish_zt_using_subcommand help; and __fish_seen_subcommand_from credential" -f -a "kube" -d 'Print a client.authentication.k8s.io/v1 ExecCredential (kubectl exec plugin)'
complete -c zt -n "__fish_zt_using_subcommand help; and __fish_seen_subcommand_from credential" -f -a "aws" -d 'Print AWS credential_process JSON (Version 1, with Expiration)'
