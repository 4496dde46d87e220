// Windows and Linux persistence: autostart locations a package has no business writing.

rule persistence_windows_autostart
{
    meta:
        id = "content.persistence.windows-autostart"
        category = "persistence"
        severity = "medium"
        data_severity = "low"
        confidence = "medium"
        description = "Windows autostart: Run/RunOnce registry keys, the Startup folder or a scheduled task created from code"
        reference = "https://attack.mitre.org/techniques/T1547/001/; telnyx 2026 (Startup folder)"
        applies_to = "code"
    strings:
        $run = /CurrentVersion\\{1,2}Run(Once)?\b/ nocase
        $startup = /Start Menu\\{1,2}Programs\\{1,2}Startup/ nocase
        $shell_startup = "shell:startup" nocase
        $schtasks = /schtasks(\.exe)?["',\s]{1,4}\/create/ nocase
        $winlogon = /Winlogon\\{1,2}(Userinit|Shell)/ nocase
    condition:
        any of them
}

rule persistence_linux_autostart
{
    meta:
        id = "content.persistence.linux-autostart"
        category = "persistence"
        severity = "medium"
        data_severity = "low"
        confidence = "medium"
        description = "Linux autostart: systemd user units, crontab edits, XDG autostart entries or rc.local written from code"
        reference = "https://attack.mitre.org/techniques/T1543/002/; LiteLLM 1.82.8 sysmon.service"
        applies_to = "code"
    strings:
        $systemd_user = ".config/systemd/user" nocase
        $systemctl_user = /systemctl\s+--user\s+(enable|start|daemon-reload)/ nocase
        $crontab = /crontab\s+-(l|r|\s)|\|\s*crontab\s/ nocase
        $cron_d = "/etc/cron.d/" nocase
        $autostart = ".config/autostart" nocase
        $rc_local = "/etc/rc.local" nocase
        $ld_preload = "/etc/ld.so.preload" nocase
    condition:
        any of them
}
