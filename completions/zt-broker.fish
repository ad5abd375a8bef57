# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_zt_broker_global_optspecs
    string join \n log-format= h/help V/version
end

function __fish_zt_broker_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_zt_broker_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_zt_broker_using_subcommand
    set -l cmd (__fish_zt_broker_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c zt-broker -n "__fish_zt_broker_needs_command" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_needs_command" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_needs_command" -f -a "dev" -d 'Run a self-contained development broker on this machine'
complete -c zt-broker -n "__fish_zt_broker_needs_command" -f -a "serve" -d 'Run the broker as a TOML configuration file describes it'
complete -c zt-broker -n "__fish_zt_broker_needs_command" -f -a "check" -d 'Check a configuration file and its catalog without serving'
complete -c zt-broker -n "__fish_zt_broker_needs_command" -f -a "audit" -d 'Inspect the audit log'
complete -c zt-broker -n "__fish_zt_broker_needs_command" -f -a "ssh" -d 'What SSH hosts need from the broker\'s user CA: its public key and its revocation list'
complete -c zt-broker -n "__fish_zt_broker_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l port -d 'The TCP port to listen on (0: any free port; the first line of output names it)' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l listen -d 'The loopback address to listen on' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l data-dir -d 'Keep the database and the dev IdP\'s signing key here, so requests, grants and logins survive a restart (default: a temporary directory, deleted at exit)' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l catalog -d 'Serve this catalog (TOML, the demo catalog\'s format) instead of the demo one' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l policies -d 'Decide with the Cedar policies in this directory (`*.cedar`, see policies/README.md) instead of the demo catalog\'s groups; reloaded on SIGHUP and when a file there changes' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l review-window -d 'How long a pending request waits for an approver before it expires (e.g. 24h, 30m)' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l claim-window -d 'How long an approved grant of a role with `activation = "first_use"` waits for its first use before it lapses (e.g. 1h, 30s)' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l ssh-port -d 'The port of the sshd the demo catalog\'s prod-ssh points at (on 127.0.0.1)' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l ssh-user -d 'The login user (certificate principal) of prod-ssh [default: the current user]' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l auto-login -d 'DEV ONLY: approve every device login as this demo user without asking' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l trust-issuer -d 'Also trust this real OpenID provider, and send `zt login` to it' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l audience -d 'The audience the --trust-issuer provider puts in the broker\'s access tokens (`zt login` asks for it as the RFC 8707 resource when it is an absolute URI)' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l oncall -d 'Read an on-call schedule from an iCalendar feed: NAME=FILE or NAME=URL (repeatable)' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l oncall-at -d 'DEV ONLY: evaluate the --oncall schedules at this instant (RFC 3339) instead of now' -r
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -l detach -d 'Run in the background (log in the state directory); `zt-broker dev stop` ends it'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -f -a "stop" -d 'Stop the dev broker started with --detach'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and not __fish_seen_subcommand_from stop help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and __fish_seen_subcommand_from stop" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and __fish_seen_subcommand_from stop" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop the dev broker started with --detach'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand dev; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand serve" -s c -l config -d 'The configuration file (TOML; relative paths in it are relative to the file)' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand serve" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand serve" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand check" -s c -l config -d 'The configuration file (TOML; relative paths in it are relative to the file)' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand check" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand check" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -f -a "verify" -d 'Check the audit log\'s hash chain: no row edited, deleted or reordered'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and not __fish_seen_subcommand_from verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and __fish_seen_subcommand_from verify" -s c -l config -d 'The configuration file whose [store] to read' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and __fish_seen_subcommand_from verify" -l data-dir -d 'A `zt-broker dev --data-dir` directory' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and __fish_seen_subcommand_from verify" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check the audit log\'s hash chain: no row edited, deleted or reordered'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and not __fish_seen_subcommand_from ca krl help" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and not __fish_seen_subcommand_from ca krl help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and not __fish_seen_subcommand_from ca krl help" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and not __fish_seen_subcommand_from ca krl help" -f -a "ca" -d 'Print the SSH user CA\'s public key, one line for sshd\'s TrustedUserCAKeys file'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and not __fish_seen_subcommand_from ca krl help" -f -a "krl" -d 'Write the key revocation list (KRL) of certificates whose grant ended early'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and not __fish_seen_subcommand_from ca krl help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from ca" -s c -l config -d 'The configuration file whose [store] to read' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from ca" -l data-dir -d 'A `zt-broker dev --data-dir` directory' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from ca" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from ca" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from ca" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from krl" -s c -l config -d 'The configuration file whose [store] to read' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from krl" -l data-dir -d 'A `zt-broker dev --data-dir` directory' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from krl" -l out -d 'Where to write the KRL' -r -F
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from krl" -l log-format -d 'How the broker\'s log lines on stderr are written: text, or JSON lines for log shippers' -r -f -a "text\t'One human-readable line per event'
json\t'One JSON object per line, for log shippers'"
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from krl" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from krl" -s V -l version -d 'Print version'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from help" -f -a "ca" -d 'Print the SSH user CA\'s public key, one line for sshd\'s TrustedUserCAKeys file'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from help" -f -a "krl" -d 'Write the key revocation list (KRL) of certificates whose grant ended early'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand ssh; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and not __fish_seen_subcommand_from dev serve check audit ssh help" -f -a "dev" -d 'Run a self-contained development broker on this machine'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and not __fish_seen_subcommand_from dev serve check audit ssh help" -f -a "serve" -d 'Run the broker as a TOML configuration file describes it'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and not __fish_seen_subcommand_from dev serve check audit ssh help" -f -a "check" -d 'Check a configuration file and its catalog without serving'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and not __fish_seen_subcommand_from dev serve check audit ssh help" -f -a "audit" -d 'Inspect the audit log'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and not __fish_seen_subcommand_from dev serve check audit ssh help" -f -a "ssh" -d 'What SSH hosts need from the broker\'s user CA: its public key and its revocation list'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and not __fish_seen_subcommand_from dev serve check audit ssh help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and __fish_seen_subcommand_from dev" -f -a "stop" -d 'Stop the dev broker started with --detach'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Check the audit log\'s hash chain: no row edited, deleted or reordered'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and __fish_seen_subcommand_from ssh" -f -a "ca" -d 'Print the SSH user CA\'s public key, one line for sshd\'s TrustedUserCAKeys file'
complete -c zt-broker -n "__fish_zt_broker_using_subcommand help; and __fish_seen_subcommand_from ssh" -f -a "krl" -d 'Write the key revocation list (KRL) of certificates whose grant ended early'
