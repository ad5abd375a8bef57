
use builtin;
use str;

set edit:completion:arg-completer[zt-broker] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'zt-broker'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'zt-broker'= {
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand dev 'Run a self-contained development broker on this machine'
            cand serve 'Run the broker as a TOML configuration file describes it'
            cand check 'Check a configuration file and its catalog without serving'
            cand audit 'Inspect the audit log'
            cand ssh 'What SSH hosts need from the broker''s user CA: its public key and its revocation list'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;dev'= {
            cand --port 'The TCP port to listen on (0: any free port; the first line of output names it)'
            cand --listen 'The loopback address to listen on'
            cand --data-dir 'Keep the database and the dev IdP''s signing key here, so requests, grants and logins survive a restart (default: a temporary directory, deleted at exit)'
            cand --catalog 'Serve this catalog (TOML, the demo catalog''s format) instead of the demo one'
            cand --policies 'Decide with the Cedar policies in this directory (`*.cedar`, see policies/README.md) instead of the demo catalog''s groups; reloaded on SIGHUP and when a file there changes'
            cand --review-window 'How long a pending request waits for an approver before it expires (e.g. 24h, 30m)'
            cand --claim-window 'How long an approved grant of a role with `activation = "first_use"` waits for its first use before it lapses (e.g. 1h, 30s)'
            cand --ssh-port 'The port of the sshd the demo catalog''s prod-ssh points at (on 127.0.0.1)'
            cand --ssh-user 'The login user (certificate principal) of prod-ssh [default: the current user]'
            cand --auto-login 'DEV ONLY: approve every device login as this demo user without asking'
            cand --trust-issuer 'Also trust this real OpenID provider, and send `zt login` to it'
            cand --audience 'The audience the --trust-issuer provider puts in the broker''s access tokens (`zt login` asks for it as the RFC 8707 resource when it is an absolute URI)'
            cand --oncall 'Read an on-call schedule from an iCalendar feed: NAME=FILE or NAME=URL (repeatable)'
            cand --oncall-at 'DEV ONLY: evaluate the --oncall schedules at this instant (RFC 3339) instead of now'
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand --detach 'Run in the background (log in the state directory); `zt-broker dev stop` ends it'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand stop 'Stop the dev broker started with --detach'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;dev;stop'= {
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt-broker;dev;help'= {
            cand stop 'Stop the dev broker started with --detach'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;dev;help;stop'= {
        }
        &'zt-broker;dev;help;help'= {
        }
        &'zt-broker;serve'= {
            cand -c 'The configuration file (TOML; relative paths in it are relative to the file)'
            cand --config 'The configuration file (TOML; relative paths in it are relative to the file)'
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt-broker;check'= {
            cand -c 'The configuration file (TOML; relative paths in it are relative to the file)'
            cand --config 'The configuration file (TOML; relative paths in it are relative to the file)'
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt-broker;audit'= {
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand verify 'Check the audit log''s hash chain: no row edited, deleted or reordered'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;audit;verify'= {
            cand -c 'The configuration file whose [store] to read'
            cand --config 'The configuration file whose [store] to read'
            cand --data-dir 'A `zt-broker dev --data-dir` directory'
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt-broker;audit;help'= {
            cand verify 'Check the audit log''s hash chain: no row edited, deleted or reordered'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;audit;help;verify'= {
        }
        &'zt-broker;audit;help;help'= {
        }
        &'zt-broker;ssh'= {
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand ca 'Print the SSH user CA''s public key, one line for sshd''s TrustedUserCAKeys file'
            cand krl 'Write the key revocation list (KRL) of certificates whose grant ended early'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;ssh;ca'= {
            cand -c 'The configuration file whose [store] to read'
            cand --config 'The configuration file whose [store] to read'
            cand --data-dir 'A `zt-broker dev --data-dir` directory'
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt-broker;ssh;krl'= {
            cand -c 'The configuration file whose [store] to read'
            cand --config 'The configuration file whose [store] to read'
            cand --data-dir 'A `zt-broker dev --data-dir` directory'
            cand --out 'Where to write the KRL'
            cand --log-format 'How the broker''s log lines on stderr are written: text, or JSON lines for log shippers'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zt-broker;ssh;help'= {
            cand ca 'Print the SSH user CA''s public key, one line for sshd''s TrustedUserCAKeys file'
            cand krl 'Write the key revocation list (KRL) of certificates whose grant ended early'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;ssh;help;ca'= {
        }
        &'zt-broker;ssh;help;krl'= {
        }
        &'zt-broker;ssh;help;help'= {
        }
        &'zt-broker;help'= {
            cand dev 'Run a self-contained development broker on this machine'
            cand serve 'Run the broker as a TOML configuration file describes it'
            cand check 'Check a configuration file and its catalog without serving'
            cand audit 'Inspect the audit log'
            cand ssh 'What SSH hosts need from the broker''s user CA: its public key and its revocation list'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zt-broker;help;dev'= {
            cand stop 'Stop the dev broker started with --detach'
        }
        &'zt-broker;help;dev;stop'= {
        }
        &'zt-broker;help;serve'= {
        }
        &'zt-broker;help;check'= {
        }
        &'zt-broker;help;audit'= {
            cand verify 'Check the audit log''s hash chain: no row edited, deleted or reordered'
        }
        &'zt-broker;help;audit;verify'= {
        }
        &'zt-broker;help;ssh'= {
            cand ca 'Print the SSH user CA''s public key, one line for sshd''s TrustedUserCAKeys file'
            cand krl 'Write the key revocation list (KRL) of certificates whose grant ended early'
        }
        &'zt-broker;help;ssh;ca'= {
        }
        &'zt-broker;help;ssh;krl'= {
        }
        &'zt-broker;help;help'= {
        }
    ]
    $completions[$command]
}
