// Indicators of the TeamPCP LiteLLM / telnyx compromises (March 2026).

rule teampcp_litellm_exfil
{
    meta:
        id = "content.ioc.teampcp-litellm"
        category = "exfiltration"
        severity = "critical"
        data_severity = "high"
        confidence = "high"
        description = "Indicator of the TeamPCP LiteLLM credential stealer: its archive name tpcp.tar.gz or its collection hosts models.litellm.cloud / checkmarx.zone"
        reference = "LiteLLM 1.82.7/1.82.8 incident (THREATS.md)"
        applies_to = "any"
    strings:
        $tar = "tpcp.tar.gz"
        $host1 = "models.litellm.cloud" nocase
        $host2 = "checkmarx.zone" nocase
    condition:
        any of them
}

rule teampcp_sysmon_persistence
{
    meta:
        id = "content.ioc.teampcp-sysmon"
        category = "persistence"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "The TeamPCP persistence shape: a 'sysmon' systemd user service or ~/.config/sysmon script, or its /tmp/pglog marker"
        reference = "LiteLLM 1.82.8 persistence (THREATS.md)"
        applies_to = "any"
    strings:
        $svc = "sysmon.service"
        $dir = ".config/sysmon"
        $log = "/tmp/pglog"
        $user = ".config/systemd/user"
    condition:
        ($svc and ($user or $dir)) or ($dir and $user) or $log
}

rule teampcp_upload_header
{
    meta:
        id = "content.ioc.teampcp-upload"
        category = "exfiltration"
        severity = "high"
        data_severity = "medium"
        confidence = "medium"
        description = "curl upload of an archive with an X-Filename header, the TeamPCP exfiltration request shape"
        reference = "LiteLLM 1.82.8 exfiltration (THREATS.md)"
        applies_to = "code"
    strings:
        $hdr = "X-Filename" nocase
        $curl = "curl" fullword
        $tar = ".tar.gz"
        $openssl = "openssl" fullword
    condition:
        $hdr and $curl and ($tar or $openssl)
}
