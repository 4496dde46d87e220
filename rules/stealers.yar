// Token and browser-secret stealers described in public write-ups.

rule stealer_family_name
{
    meta:
        id = "content.stealer.family-name"
        category = "credentials"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "Code carries the name or banner of a known Python stealer family (W4SP, Hazard, Blank Grabber, Creal, Empyrean, Luna, Doenerium, PirateStealer and similar)"
        reference = "Phylum, Checkmarx and Socket write-ups on W4SP, Blank Grabber, Creal, Hazard and Empyrean stealers"
        applies_to = "code"
    strings:
        $w4sp1 = "W4SP Stealer" nocase
        $w4sp2 = "BY W4SP" nocase
        $w4sp3 = "wasp stealer" nocase
        $hazard = "Hazard_Token_Grabber" nocase
        $hazard2 = "Hazard Token Grabber" nocase
        $blank1 = "Blank Grabber" nocase
        $blank2 = "BlankGrabber" nocase
        $blank3 = "Blank-c/Blank-Grabber" nocase
        $creal1 = "Creal Stealer" nocase
        $creal2 = "Ayhuuu/Creal" nocase
        $empyrean1 = "Empyrean" fullword
        $empyrean2 = "addi00000/empyrean" nocase
        $luna = "Luna Grabber" nocase
        $luna2 = "Luna-Grabber" nocase
        $doenerium = "doenerium" nocase
        $pirate = "PirateStealer" nocase
        $fallen = "Fallen Stealer" nocase
        $rose = "Rose Grabber" nocase
        $vare = "Vare Stealer" nocase
        $rdimo = "Rdimo" fullword
    condition:
        any of them
}

rule stealer_discord_token
{
    meta:
        id = "content.stealer.discord-token"
        category = "credentials"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "Reads Discord tokens: the desktop client's leveldb storage together with the token marker or token pattern"
        reference = "Discord token grabber write-ups (W4SP, Hazard, Empyrean)"
        applies_to = "code"
    strings:
        $leveldb = /Local Storage[\\\/]{1,2}leveldb/ nocase
        $discord = "discord" nocase
        $marker = "dQw4w9WgXcQ:"
        $regex1 = "[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{27}"
        $regex2 = "mfa\\.[\\w-]{84}"
        $regex3 = "[\\w-]{24}\\.[\\w-]{6}\\.[\\w-]{25,110}"
    condition:
        $marker or ($leveldb and $discord and any of ($regex*)) or (2 of ($regex*))
}

rule stealer_browser_secrets
{
    meta:
        id = "content.stealer.browser-secrets"
        category = "credentials"
        severity = "high"
        data_severity = "low"
        confidence = "medium"
        description = "Decrypts browser secrets: Chromium's Local State key with CryptUnprotectData, then Login Data / Cookies / Web Data databases"
        reference = "https://attack.mitre.org/techniques/T1555/003/"
        applies_to = "code"
    strings:
        $state = "Local State"
        $key = "encrypted_key"
        $dpapi = "CryptUnprotectData"
        $login = "Login Data"
        $cookies = /Network[\\\/]{1,2}Cookies/
        $webdata = "Web Data"
        $passwords = "password_value"
        $cc = "credit_cards"
    condition:
        ($key and $dpapi and ($state or $login)) or ($login and $passwords and ($key or $dpapi)) or (5 of them)
}

rule stealer_wallet_paths
{
    meta:
        id = "content.stealer.wallet-paths"
        category = "credentials"
        severity = "high"
        data_severity = "low"
        confidence = "medium"
        description = "Code lists several cryptocurrency wallet stores or wallet browser-extension ids"
        reference = "https://attack.mitre.org/techniques/T1005/"
        applies_to = "code"
    strings:
        $exodus = "exodus.wallet" nocase
        $atomic = /atomic[\\\/]{1,2}Local Storage/ nocase
        $electrum = /Electrum[\\\/]{1,2}wallets/ nocase
        $metamask = "nkbihfbeogaeaoehlefnkodbefgpgknn"
        $phantom = "bfnaelmomeimhlpmgjnjophhpkkoljpa"
        $binance = "fhbohimaelbohpjbbldcngcnapndodjp"
        $coinbase = "hnfanknocfeofbddgcijnmhnfnkdnaad"
        $guarda = /Guarda[\\\/]{1,2}Local Storage/ nocase
        $armory = "Armory" fullword
        $zcash = /Zcash[\\\/]{1,2}/
        $walletdat = "wallet.dat"
    condition:
        3 of them
}
