// Messenger exfiltration: webhooks and bot APIs that stealers post loot to.

rule exfil_discord_webhook
{
    meta:
        id = "content.exfil.discord-webhook"
        category = "exfiltration"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "A concrete Discord webhook URL (numeric id and token): anyone holding it can post to a channel, which is how token grabbers send loot"
        reference = "https://discord.com/developers/docs/resources/webhook; W4SP and Hazard stealer write-ups"
        applies_to = "any"
    strings:
        $url = /discord(app)?\.com\/api\/(v\d+\/)?webhooks\/\d{17,20}\/[A-Za-z0-9_-]{30,}/ nocase
    condition:
        $url
}

rule exfil_telegram_bot_token_url
{
    meta:
        id = "content.exfil.telegram-bot-token"
        category = "exfiltration"
        severity = "high"
        data_severity = "medium"
        confidence = "high"
        description = "Telegram Bot API URL with an embedded bot token: the program talks to a bot the author controls"
        reference = "https://core.telegram.org/bots/api; aiocpa 2024 incident"
        applies_to = "any"
    strings:
        $url = /api\.telegram\.org\/bot\d{8,10}:[A-Za-z0-9_-]{30,}/
    condition:
        $url
}

rule exfil_telegram_bot_api
{
    meta:
        id = "content.exfil.telegram-bot-api"
        category = "exfiltration"
        severity = "medium"
        data_severity = "info"
        confidence = "low"
        description = "Code calls the Telegram Bot API (sendMessage/sendDocument); normal in bot libraries, a sink when combined with secrets"
        reference = "https://core.telegram.org/bots/api"
        applies_to = "code"
    strings:
        $base = "api.telegram.org/bot"
        $send1 = "sendDocument"
        $send2 = "sendMessage"
    condition:
        $base and any of ($send*)
}

rule exfil_slack_webhook
{
    meta:
        id = "content.exfil.slack-webhook"
        category = "exfiltration"
        severity = "high"
        data_severity = "low"
        confidence = "medium"
        description = "A concrete Slack incoming-webhook URL hard-coded in the package"
        reference = "https://api.slack.com/messaging/webhooks"
        applies_to = "any"
    strings:
        $url = /hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,}/
        $placeholder = /hooks\.slack\.com\/services\/T0{6,12}\/B0{6,12}\//
    condition:
        #url > #placeholder
}
