// PowerShell launched with encoded commands, hidden windows or download cradles.

rule powershell_encoded_command
{
    meta:
        id = "content.powershell.encoded-command"
        category = "execution"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "PowerShell started with an encoded command (-enc / -EncodedCommand): the command text is hidden from review"
        reference = "https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_pwsh; EsqueleSquad droppers"
        applies_to = "any"
    strings:
        $enc = /powershell(\.exe)?["',]{0,3}[^\n]{0,120}\s["']?-(e|ec|en|enc|enco|encod|encodedcommand)["']?[\s,]+["']?[A-Za-z0-9+\/]{16}/ nocase
    condition:
        $enc
}

rule powershell_hidden_window
{
    meta:
        id = "content.powershell.hidden-window"
        category = "execution"
        severity = "medium"
        data_severity = "low"
        confidence = "medium"
        description = "PowerShell started with a hidden window, so the user does not see what it does"
        reference = "https://attack.mitre.org/techniques/T1564/003/"
        applies_to = "any"
    strings:
        $ps = "powershell" nocase
        $h1 = /-w(indowstyle)?["',\s]{1,4}hidden/ nocase
        $h2 = /-(nop|noprofile)["',\s]{1,4}(-noni["',\s]{1,4})?-w(indowstyle)?["',\s]{1,4}h/ nocase
    condition:
        $ps and any of ($h*)
}

rule powershell_download_cradle
{
    meta:
        id = "content.powershell.download-cradle"
        category = "download"
        severity = "high"
        data_severity = "low"
        confidence = "high"
        description = "PowerShell download cradle: a web download fed to Invoke-Expression, or fetched to disk and started"
        reference = "https://attack.mitre.org/techniques/T1059/001/"
        applies_to = "any"
    strings:
        $dl1 = "DownloadString(" nocase
        $dl2 = "DownloadFile(" nocase
        $dl3 = "Invoke-WebRequest" nocase
        $dl4 = /\biwr\s+-Uri/ nocase
        $dl5 = "Net.WebClient" nocase
        $dl6 = "Start-BitsTransfer" nocase
        $ex1 = /\bIEX\s*[(\s]/ nocase
        $ex2 = "Invoke-Expression" nocase
        $ex3 = "Start-Process" nocase
        $ex4 = "Expand-Archive" nocase
    condition:
        any of ($dl*) and any of ($ex*)
}
