//! Realistic AWS and libpq files, as the tools document them and as people keep them.

/// `~/.aws/config` kept by hand: every profile kind, nested `services`, both comment styles,
/// odd spacing, tabs, `key: value`.
pub(super) const AWS_CONFIG: &str = "# ~/.aws/config — edited by hand, keep tidy
[default]
region = eu-west-1
output=json

; the dev account
[profile dev]
region   =   us-east-1
cli_pager =

[profile admin]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = dev
mfa_serial: arn:aws:iam::123456789012:mfa/alice
# one hour
duration_seconds = 3600

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile corp-ro]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-central-1
services = local

[services local]
s3 =
  endpoint_url = http://localhost:9000
  # a comment inside the nested block
  addressing_style = path

dynamodb =
    endpoint_url = http://localhost:8000

[profile tools]
s3 =
    max_concurrent_requests = 20
    multipart_threshold = 64MB
\t; tab-indented comment
cli_history = enabled
";

/// `~/.aws/credentials`.
pub(super) const AWS_CREDENTIALS: &str = "[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

# old keys, do not use
[legacy]
aws_access_key_id=AKIAI44QH8DHBEXAMPLE
aws_secret_access_key=je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
aws_session_token = IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ
";

/// `~/.pg_service.conf`: comments, a commented-out service, indented keys, spaces after values.
pub(super) const PG_SERVICE: &str = "# libpq connection services
[mydb]
host=db.internal
port=5432
dbname=app
user=alice

#[disabled]
#host=old.internal
[reporting]
  host=reports.internal   
dbname=reports
sslmode=verify-full

# trailing notes
";

pub(super) fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// Each text in the ways people's files differ: line endings, final line break, BOM.
pub(super) fn variants(label: &'static str, text: &str) -> Vec<(String, String)> {
    let bare = text.trim_end_matches('\n').to_string();
    vec![
        (label.to_string(), text.to_string()),
        (format!("{label} crlf"), crlf(text)),
        (format!("{label} no final newline"), bare.clone()),
        (format!("{label} crlf no final newline"), crlf(&bare)),
        (format!("{label} bom"), format!("\u{feff}{text}")),
        (
            format!("{label} bom crlf bare"),
            format!("\u{feff}{}", crlf(&bare)),
        ),
        (format!("{label} trailing blanks"), format!("{text}\n\n")),
        (
            format!("{label} ends in a comment"),
            format!("{text}# the end"),
        ),
    ]
}
