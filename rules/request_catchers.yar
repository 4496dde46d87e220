// Request catchers, out-of-band interaction servers, tunnels and free hosts used as data sinks.

rule sink_request_catcher
{
    meta:
        id = "content.sink.request-catcher"
        category = "exfiltration"
        severity = "high"
        data_severity = "low"
        confidence = "medium"
        description = "Code names a request-catcher or out-of-band interaction host (webhook.site, pipedream, interactsh/oast, Burp Collaborator, ceye, dnslog): used to receive stolen data or beacons"
        reference = "dependency-confusion probe write-ups; https://github.com/projectdiscovery/interactsh"
        applies_to = "code"
    strings:
        $h1 = "webhook.site/" nocase
        $h2 = ".m.pipedream.net" nocase
        $h3 = ".x.pipedream.net" nocase
        $h4 = "burpcollaborator.net" nocase
        $h5 = ".oastify.com" nocase
        $h6 = ".oast.fun" nocase
        $h7 = ".oast.pro" nocase
        $h8 = ".oast.live" nocase
        $h9 = ".oast.site" nocase
        $h10 = ".oast.online" nocase
        $h11 = ".oast.me" nocase
        $h12 = ".interact.sh" nocase
        $h13 = ".ceye.io" nocase
        $h14 = ".dnslog.cn" nocase
        $h15 = "requestbin.net" nocase
        $h16 = "requestcatcher.com" nocase
        $h17 = "hookbin.com" nocase
        $h18 = ".free.beeceptor.com" nocase
        $h19 = "canarytokens.com" nocase
        $h20 = ".requestrepo.com" nocase
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
