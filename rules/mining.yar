// Cryptocurrency miners dropped by hijacked or typosquatted packages.

rule mining_miner_config
{
    meta:
        id = "content.mining.miner-config"
        category = "mining"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "A mining pool URL together with a miner (xmrig, RandomX options or a pool name): the package runs a coin miner"
        reference = "ultralytics 8.3.41 (2024) xmrig incident; THREATS.md technique 5"
        applies_to = "any"
    strings:
        $stratum = /stratum[0-9]?\+(tcp|ssl|tls):\/\// nocase
        $xmrig = "xmrig" nocase
        $donate = "--donate-level" nocase
        $randomx = "randomx" nocase
        $pool1 = "supportxmr.com" nocase
        $pool2 = "nanopool.org" nocase
        $pool3 = "moneroocean.stream" nocase
        $pool4 = "minexmr.com" nocase
        $pool5 = "nicehash.com" nocase
        $pool6 = "c3pool.com" nocase
        $pool7 = "hashvault.pro" nocase
        $pool8 = "herominers.com" nocase
        $pool9 = "2miners.com" nocase
        $pool10 = "f2pool.com" nocase
        $pool11 = "unmineable.com" nocase
        $pool12 = "xmrpool.eu" nocase
    condition:
        ($stratum and ($xmrig or $donate or $randomx or any of ($pool*)))
        or ($xmrig and ($donate or any of ($pool*)))
}

rule mining_stratum_url
{
    meta:
        id = "content.mining.stratum-url"
        category = "mining"
        severity = "medium"
        data_severity = "low"
        confidence = "medium"
        description = "A stratum mining-protocol URL: the package points something at a mining pool"
        reference = "https://en.bitcoin.it/wiki/Stratum_mining_protocol"
        applies_to = "any"
    strings:
        $stratum = /stratum[0-9]?\+(tcp|ssl|tls):\/\// nocase
    condition:
        $stratum
}

rule mining_xmrig_download
{
    meta:
        id = "content.mining.xmrig-download"
        category = "mining"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "Code downloads an xmrig release archive"
        reference = "reqquests/requess typosquats fetching xmrig from GitHub releases"
        applies_to = "code"
    strings:
        $rel = /xmrig\/releases\/download\/v?[0-9.]+\/xmrig-/ nocase
    condition:
        $rel
}

rule mining_monero_wallet
{
    meta:
        id = "content.mining.monero-wallet"
        category = "mining"
        severity = "medium"
        data_severity = "low"
        confidence = "medium"
        description = "A Monero wallet address passed as a miner's user (-u / --user / \"user\": ...)"
        reference = "https://www.getmonero.org/resources/moneropedia/address.html"
        applies_to = "any"
    strings:
        $w1 = /-u[ =]["']?4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}/
        $w2 = /--user[ =]["']?4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}/
        $w3 = /"user": ?"4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}/
    condition:
        any of them
}
