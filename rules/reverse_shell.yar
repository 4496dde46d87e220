// Reverse shells: a shell whose input and output are a network connection.

rule reverse_shell_dev_tcp
{
    meta:
        id = "content.reverse-shell.dev-tcp"
        category = "remote-access"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "An interactive shell redirected to a /dev/tcp socket or a netcat with -e: a reverse shell"
        reference = "https://attack.mitre.org/techniques/T1059/004/; boogishell sample"
        applies_to = "any"
    strings:
        $bash = /(bash|sh)\s+-i\s*[>&]{1,2}\s*\/dev\/(tcp|udp)\// nocase
        $redir = /\/dev\/(tcp|udp)\/[^\s\/"']{1,80}\/[0-9]{1,5}\s*0?[<>]&\s*[01]/ nocase
        $nc = /\b(nc|ncat|netcat)(\.exe)?\s+(-[a-z]+\s+)*-e\s+\/bin\/(ba)?sh/ nocase
        $fifo = /mkfifo\s+\/tmp\/[a-z0-9]{1,10};\s*(cat|nc)/ nocase
    condition:
        any of them
}

rule reverse_shell_dev_tcp_mention
{
    meta:
        id = "content.reverse-shell.dev-tcp-mention"
        category = "network"
        severity = "medium"
        data_severity = "info"
        confidence = "low"
        description = "Code opens a bash /dev/tcp socket; used by port-wait helpers, also the core of shell reverse shells"
        reference = "https://www.gnu.org/software/bash/manual/html_node/Redirections.html"
        applies_to = "code"
    strings:
        $a = "/dev/tcp/"
    condition:
        $a
}

rule reverse_shell_python_dup2
{
    meta:
        id = "content.reverse-shell.python-dup2"
        category = "remote-access"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "Python reverse shell: a socket's fileno() duplicated onto stdin/stdout/stderr before a shell is spawned"
        reference = "THREATS.md technique 14"
        applies_to = "code"
    strings:
        $dup = /dup2\(\s*[A-Za-z_][A-Za-z0-9_.]{0,30}\.fileno\(\)\s*,\s*[012]\s*\)/
        $pty = "pty.spawn("
        $sh1 = "/bin/sh"
        $sh2 = "/bin/bash"
        $sh3 = "cmd.exe"
    condition:
        #dup >= 2 and ($pty or any of ($sh*))
}
