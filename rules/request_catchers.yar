// Request catchers, out-of-band interaction servers, tunnels and free hosts used as data sinks.

rule sink_request_catcher
{
    meta:
        id = "content.sink.request-catcher"
        category = "exfiltration"
        severity = "high"
        data_severity = "low"
        confidence = "high"
        description = "Code holds a concrete request-catcher or out-of-band interaction endpoint (a webhook.site token, an interactsh/oast, Burp Collaborator, pipedream, ceye or dnslog subdomain): a collector for stolen data or install beacons"
        reference = "dependency-confusion probe write-ups; https://github.com/projectdiscovery/interactsh"
        applies_to = "code"
    strings:
        $uuid = /webhook\.site\/(#!\/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/ nocase
        $oob = /[a-z0-9]{16,}\.(oastify\.com|burpcollaborator\.net|oast\.(fun|pro|live|site|online|me)|interact\.sh|interactsh\.com|requestrepo\.com)/ nocase
        $pipedream = /[a-z0-9]{8,}\.(m|x)\.pipedream\.net/ nocase
        $dnslog = /[a-z0-9]{4,}\.(ceye\.io|dnslog\.cn)/ nocase
    condition:
        any of them
}

rule sink_request_catcher_host
{
    meta:
        id = "content.sink.request-catcher-host"
        category = "exfiltration"
        severity = "medium"
        data_severity = "info"
        confidence = "low"
        description = "Code names a request-catcher or out-of-band interaction service (webhook.site, pipedream, interactsh/oast, Burp Collaborator, requestbin, hookbin, canarytokens): a data sink, or a test of one"
        reference = "dependency-confusion probe write-ups"
        applies_to = "code"
    strings:
        $h1 = "webhook.site" nocase
        $h2 = "pipedream.net" nocase
        $h3 = "burpcollaborator.net" nocase
        $h4 = "oastify.com" nocase
        $h5 = ".oast.fun" nocase
        $h6 = ".oast.pro" nocase
        $h7 = ".oast.live" nocase
        $h8 = ".oast.site" nocase
        $h9 = ".oast.online" nocase
        $h10 = ".oast.me" nocase
        $h11 = "interact.sh" nocase
        $h12 = ".ceye.io" nocase
        $h13 = ".dnslog.cn" nocase
        $h14 = "requestbin.net" nocase
        $h15 = "requestcatcher.com" nocase
        $h16 = "hookbin.com" nocase
        $h17 = ".free.beeceptor.com" nocase
        $h18 = "canarytokens.com" nocase
        $h19 = "requestrepo.com" nocase
    condition:
        any of them
}

rule sink_tunnel
{
    meta:
        id = "content.sink.tunnel"
        category = "network"
        severity = "medium"
        data_severity = "low"
        confidence = "low"
        description = "Code names a tunnelling service host (ngrok, serveo, localtunnel, trycloudflare): a laptop reachable from the victim, typical of reverse shells and ad-hoc exfiltration"
        reference = "THREATS.md technique 12 and 14"
        applies_to = "code"
    strings:
        $h1 = ".ngrok.io" nocase
        $h2 = ".ngrok-free.app" nocase
        $h3 = ".ngrok.app" nocase
        $h4 = "tcp.ngrok.io" nocase
        $h5 = "serveo.net" nocase
        $h6 = ".loca.lt" nocase
        $h7 = ".trycloudflare.com" nocase
        $h8 = ".localhost.run" nocase
        $h9 = ".bore.pub" nocase
    condition:
        any of them
}

rule sink_free_app_host
{
    meta:
        id = "content.sink.free-app-host"
        category = "network"
        severity = "low"
        data_severity = "info"
        confidence = "low"
        description = "Code contacts a URL on a free application host (herokuapp, repl.co, glitch.me, pythonanywhere, vercel, onrender, workers.dev, 000webhost): cheap throw-away collection servers"
        reference = "THREATS.md technique 12; ceritfi typosquat (pythonanywhere loader)"
        applies_to = "code"
    strings:
        $h1 = /https?:\/\/[a-z0-9.-]{1,60}\.(herokuapp\.com|repl\.co|replit\.app|glitch\.me|pythonanywhere\.com|vercel\.app|onrender\.com|workers\.dev|000webhostapp\.com|netlify\.app)/ nocase
    condition:
        $h1
}
