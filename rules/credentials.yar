// Cloud, Kubernetes and developer credential locations and metadata services.

rule credentials_cloud_metadata
{
    meta:
        id = "content.credentials.cloud-metadata"
        category = "credentials"
        severity = "low"
        data_severity = "info"
        confidence = "low"
        description = "Code addresses a cloud instance-metadata service or the Kubernetes service-account token: normal in cloud SDKs, a credential source in stealers"
        reference = "LiteLLM 1.82.8 payload; https://attack.mitre.org/techniques/T1552/005/"
        applies_to = "code"
    strings:
        $imds = "169.254.169.254"
        $gcp = "metadata.google.internal" nocase
        $ecs = "169.254.170.2"
        $k8s = "/var/run/secrets/kubernetes.io/serviceaccount"
    condition:
        any of them
}

rule credentials_harvest_many
{
    meta:
        id = "content.credentials.harvest-many"
        category = "credentials"
        severity = "high"
        data_severity = "low"
        confidence = "medium"
        description = "One file reaches for credentials of many unrelated tools (SSH keys, AWS, GCP, Azure, Kubernetes, Docker, git, .netrc, .pgpass, shell history, wallets): a harvesting list, not an SDK"
        reference = "LiteLLM 1.82.8 credential stealer (THREATS.md)"
        applies_to = "code"
    strings:
        $ssh = /\.ssh\/(id_rsa|id_ed25519|id_ecdsa|authorized_keys|known_hosts)/
        $aws = ".aws/credentials"
        $gcloud = ".config/gcloud"
        $azure = ".azure/"
        $kube = ".kube/config"
        $docker = ".docker/config.json"
        $gitcred = ".git-credentials"
        $netrc = ".netrc"
        $pgpass = ".pgpass"
        $history = /\.(bash|zsh)_history/
        $imds = "169.254.169.254"
        $k8s = "/var/run/secrets/kubernetes.io"
        $wallet = /\b(wallet\.dat|Exodus\/exodus\.wallet|Electrum\/wallets)/
        $envfile = /["']\.env(\.local|\.production)?["']/
    condition:
        5 of them
}
