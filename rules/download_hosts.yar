// Paste sites and anonymous file-sharing hosts that droppers fetch their next stage from.

rule download_paste_site
{
    meta:
        id = "content.download.paste-site"
        category = "download"
        severity = "medium"
        data_severity = "low"
        confidence = "medium"
        description = "Code fetches a raw paste (pastebin, paste.ee, hastebin, rentry, ghostbin): a mutable second stage the author can swap after review"
        reference = "THREATS.md technique 5; colourfool and collored samples"
        applies_to = "code"
    strings:
        $p1 = "pastebin.com/raw" nocase
        $p2 = "paste.ee/r/" nocase
        $p3 = "hastebin.com/raw" nocase
        $p4 = /rentry\.(co|org)\/[A-Za-z0-9_-]{1,40}\/raw/ nocase
        $p5 = "ghostbin.co" nocase
        $p6 = "paste.c-net.org" nocase
        $p7 = "dpaste.com/" nocase
        $p8 = "pastebin.pl/view/raw" nocase
        $p9 = "controlc.com/" nocase
    condition:
        any of them
}

rule download_file_sharing
{
    meta:
        id = "content.download.file-sharing"
        category = "download"
        severity = "medium"
        data_severity = "low"
        confidence = "medium"
        description = "Code names an anonymous file-sharing host or a Discord attachment CDN URL (transfer.sh, anonfiles, gofile, file.io, cdn.discordapp.com/attachments): where droppers keep executables"
        reference = "1inch/clistyling PowerShell droppers; stealer write-ups"
        applies_to = "code"
    strings:
        $f1 = "transfer.sh/" nocase
        $f2 = "anonfiles.com" nocase
        $f3 = "gofile.io/" nocase
        $f4 = "://file.io" nocase
        $f5 = "cdn.discordapp.com/attachments/" nocase
        $f6 = "media.discordapp.net/attachments/" nocase
        $f7 = "bashupload.com" nocase
        $f8 = "temp.sh/" nocase
        $f9 = "filebin.net/" nocase
        $f10 = "catbox.moe/" nocase
        $f11 = "mediafire.com/file/" nocase
    condition:
        any of them
}
