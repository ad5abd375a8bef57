//! Realistic kubeconfigs, as kubectl and as people write them: the data the kubeconfig
//! editor's tests run on.

/// What `kubectl config` writes: sorted keys, lists not indented under their key.
pub(super) const KUBECTL: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://10.0.0.1:6443
  name: kind-dev
- cluster:
    insecure-skip-tls-verify: true
    server: https://staging.example.com
  name: staging
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
- context:
    cluster: staging
    namespace: web
    user: alice
  name: staging
current-context: kind-dev
kind: Config
preferences: {}
users:
- name: kind-dev
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=
- name: alice
  user:
    token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln
"#;

/// Hand-written: comments everywhere, indented lists, quoted scalars, odd order.
pub(super) const HAND: &str = r#"# My clusters. Edit with care!
kind: Config
apiVersion: v1

# Where things run
clusters:
  - name: home   # the NUC under the desk
    cluster:
      server: "https://192.168.1.10:6443"
      # TLS is self-signed, sorry
      insecure-skip-tls-verify: true

  - name: 'work'
    cluster:
      server: https://k8s.work.example:443

# Who I am
users:
  - name: me
    user:
      token: 'abc#def'   # not a comment inside quotes
  # - name: old-me
  #   user: {}

contexts:
  - name: home
    context: {cluster: home, user: me}
  - name: work
    context:
      cluster: work
      user: me
      namespace: "team-a"

current-context: "home"
preferences:
  colors: true
# end of file
"#;

/// `---` start, `users: []`, no `contexts`, no current-context.
pub(super) const SPARSE: &str = "---\n# sparse\napiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://a.example\n  name: a\nusers: []\n";

/// Lists present but empty in every way YAML allows.
pub(super) const NULLS: &str =
    "apiVersion: v1\nclusters:\ncontexts: ~ # none yet\nusers: null\nkind: Config\n";

/// EKS: exec users with env and a long args list.
pub(super) const EKS: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwK
    server: https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com
  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
contexts:
- context:
    cluster: arn:aws:eks:eu-west-1:123456789012:cluster/prod
    user: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
current-context: arn:aws:eks:eu-west-1:123456789012:cluster/prod
kind: Config
preferences: {}
users:
- name: arn:aws:eks:eu-west-1:123456789012:cluster/prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - prod
      - --output
      - json
      command: aws
      env:
      - name: AWS_PROFILE
        value: prod-admin
      interactiveMode: IfAvailable
      provideClusterInfo: false
"#;

/// GKE: exec plugin with a multi-line plain `installHint`.
const GKE: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://34.77.1.2
  name: gke_my-project_europe-west1_main
contexts:
- context:
    cluster: gke_my-project_europe-west1_main
    user: gke_my-project_europe-west1_main
  name: gke_my-project_europe-west1_main
current-context: gke_my-project_europe-west1_main
kind: Config
preferences: {}
users:
- name: gke_my-project_europe-west1_main
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl by following
        https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      provideClusterInfo: true
"#;

/// minikube: extensions on cluster and context, preferences with content.
const MINIKUBE: &str = r#"apiVersion: v1
clusters:
- cluster:
    certificate-authority: /home/u/.minikube/ca.crt
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context:
    cluster: minikube
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: context_info
    namespace: default
    user: minikube
  name: minikube
current-context: minikube
kind: Config
preferences:
  colors: true
users:
- name: minikube
  user:
    client-certificate: /home/u/.minikube/profiles/minikube/client.crt
    client-key: /home/u/.minikube/profiles/minikube/client.key
"#;

/// Non-ASCII in comments, keys' values and names; a block scalar holding non-ASCII.
const UNICODE: &str = "# Konfiguration für Zürich — ☸ クラスター 🚀\napiVersion: v1\nclusters:\n- cluster:\n    server: https://zürich.example # Straße\n  name: zürich\ncontexts:\n- context:\n    cluster: zürich\n    user: jürgen\n  name: zürich\nusers:\n- name: jürgen\n  user:\n    # Schlüssel 🔑\n    token: \"ä\\u00e9\"\n    note: |\n      mehrzeilig ☃\n      # kein Kommentar\ncurrent-context: zürich\nkind: Config\n";

/// A block scalar with keep chomping ends the last entry: its trailing blank lines are value.
const KEEP_CHOMP: &str = "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: t\n    note: |+\n      keep\n\n\n# about contexts\ncontexts: []\nkind: Config\n";

/// Root keys indented by four, lists by four more.
const INDENTED: &str = "    apiVersion: v1\n    clusters:\n        -   name: x\n            cluster:\n                server: https://x\n    kind: Config\n";

pub(super) fn crlf(s: &str) -> String {
    s.replace('\n', "\r\n")
}

/// `n` clusters, contexts and users, kubectl style.
pub(super) fn many(n: usize) -> String {
    let mut s = String::from("apiVersion: v1\nclusters:\n");
    for i in 0..n {
        s += &format!("- cluster:\n    server: https://c{i}.example:6443\n  name: c{i}\n");
    }
    s += "contexts:\n";
    for i in 0..n {
        s += &format!(
            "- context:\n    cluster: c{i}\n    namespace: ns{i}\n    user: u{i}\n  name: ctx{i}\n"
        );
    }
    s += "current-context: ctx0\nkind: Config\npreferences: {}\nusers:\n";
    for i in 0..n {
        s += &format!("- name: u{i}\n  user:\n    token: tok{i}\n");
    }
    s
}

/// Every fixture, by name.
pub(super) fn corpus() -> Vec<(&'static str, String)> {
    vec![
        ("kubectl", KUBECTL.to_string()),
        ("hand", HAND.to_string()),
        ("hand-crlf", crlf(HAND)),
        ("kubectl-crlf", crlf(KUBECTL)),
        ("sparse", SPARSE.to_string()),
        ("nulls", NULLS.to_string()),
        ("eks", EKS.to_string()),
        ("gke", GKE.to_string()),
        ("minikube", MINIKUBE.to_string()),
        ("unicode", UNICODE.to_string()),
        ("keep-chomp", KEEP_CHOMP.to_string()),
        ("indented", INDENTED.to_string()),
        ("no-final-newline", KUBECTL.trim_end().to_string()),
        ("hand-no-final-newline", HAND.trim_end().to_string()),
        ("bom", format!("\u{feff}{KUBECTL}")),
        ("fifty", many(50)),
        ("comment-only", "# nothing here yet\n".to_string()),
        ("empty", String::new()),
    ]
}
