"""The scorer: chains weigh most, volume alone never makes a verdict, incomplete is never clean."""

from __future__ import annotations

from scanner.model import Confidence, Context, Finding, Severity, VerdictLevel
from scanner.scoring import Thresholds, capabilities, find_chains, score

S, C, X = Severity, Confidence, Context


def f(rule, category="execution", severity=S.MEDIUM, confidence=C.HIGH, context=X.IMPORT,
      path="pkg/__init__.py", line=1):
    return Finding(rule, category, severity, confidence, context, "msg", path, line, "ev")


def test_no_findings_is_clean():
    verdict = score([])
    assert verdict.level is VerdictLevel.CLEAN and verdict.score == 0 and verdict.reasons == ()


def test_capabilities_read_words_not_substrings():
    assert "exec" in capabilities(f("python.exec.dynamic"))
    assert "exec" not in capabilities(f("binary.executable-in-pure-wheel", "binary"))
    assert capabilities(f("python.flow.decode-exec")) >= {"decode", "exec"}
    assert "install" in capabilities(f("python.network.http", "network", context=X.INSTALL))


def test_decode_then_exec_in_one_file_is_malicious_and_explained():
    findings = [f("python.obfuscation.b64decode", "obfuscation", line=3),
                f("python.exec.dynamic", "execution", S.HIGH, line=4)]
    verdict = score(findings)
    assert verdict.level is VerdictLevel.MALICIOUS
    assert verdict.reasons[0].rule == "score.chain.decode-exec"
    assert "python.obfuscation.b64decode" in verdict.reasons[0].message
    assert set(findings) <= set(verdict.reasons)


def test_the_same_capabilities_in_different_runtime_files_make_no_chain():
    findings = [f("python.obfuscation.b64decode", "obfuscation", context=X.RUNTIME, path="a.py"),
                f("python.exec.dynamic", "execution", context=X.RUNTIME, path="b.py")]
    assert find_chains(findings, Thresholds()) == []
    assert score(findings).level is VerdictLevel.CLEAN


def test_install_time_network_is_malicious_but_runtime_network_is_not():
    install = [f("python.network.http-post", "network", S.MEDIUM, context=X.INSTALL,
                 path="setup.py"),
               f("python.recon.hostname", "recon", S.MEDIUM, context=X.INSTALL, path="setup.py")]
    assert score(install).level is VerdictLevel.MALICIOUS
    runtime = [f("python.network.http-post", "network", S.MEDIUM, context=X.RUNTIME)]
    assert score(runtime).level is VerdictLevel.CLEAN


def test_pth_that_spawns_is_malicious():
    pth = f("python.process.subprocess-popen", "process", S.MEDIUM, context=X.STARTUP,
            path="evil.pth")
    verdict = score([pth])
    assert verdict.level is VerdictLevel.MALICIOUS
    assert verdict.reasons[0].rule == "score.chain.startup-hook"


def test_runtime_chain_is_only_suspicious():
    findings = [f("python.secret.env-dump", "credentials", S.HIGH, context=X.RUNTIME),
                f("python.network.http-post", "network", S.HIGH, context=X.RUNTIME)]
    assert score(findings).level is VerdictLevel.SUSPICIOUS


def test_volume_alone_does_not_make_a_verdict():
    findings = [f(f"python.capability.r{i % 7}", "capability", S.MEDIUM, C.MEDIUM, X.RUNTIME,
                  path=f"pkg/m{i}.py", line=i + 1) for i in range(500)]
    verdict = score(findings)
    assert verdict.level is VerdictLevel.CLEAN
    assert verdict.score < Thresholds().suspicious


def test_metadata_is_weak_alone_and_amplifies_behaviour():
    meta = [Finding("metadata.version.absurd", "metadata", S.LOW, C.HIGH, X.CONTAINER, "m"),
            Finding("metadata.name.typosquat", "metadata", S.LOW, C.MEDIUM, X.CONTAINER, "m")]
    assert score(meta).level is VerdictLevel.CLEAN
    behaviour = [f("python.exec.dynamic", "execution", S.HIGH, C.MEDIUM, X.IMPORT)]
    alone = score(behaviour).score
    assert score(behaviour + meta).score > alone


def test_incomplete_scan_is_never_clean():
    limit = Finding("limits.member-size", "limits", S.MEDIUM, C.HIGH, X.CONTAINER, "too big")
    verdict = score([limit])
    assert verdict.level is VerdictLevel.SUSPICIOUS
    assert verdict.reasons[0] is limit
    low = Finding("limits.note", "limits", S.LOW, C.HIGH, X.CONTAINER, "fyi")
    assert score([low]).level is VerdictLevel.CLEAN


def test_thresholds_are_configurable():
    findings = [f("python.exec.dynamic", "execution", S.HIGH, C.HIGH, X.IMPORT)]
    assert score(findings).level is VerdictLevel.SUSPICIOUS
    assert score(findings, Thresholds(suspicious=50, malicious=90)).level is VerdictLevel.CLEAN
    assert score(findings, Thresholds(suspicious=10, malicious=35)).level \
        is VerdictLevel.MALICIOUS


def test_critical_single_finding_in_import_context_is_malicious():
    webhook = f("content.discord-webhook", "exfiltration", S.CRITICAL, C.HIGH, X.IMPORT)
    assert score([webhook]).level is VerdictLevel.MALICIOUS


def test_weak_findings_are_no_chain_links():
    # A low-severity exec of a literal in a .pth (pytest-cov's env-gated hook) is no start-up
    # chain; a medium spawn there is.
    weak = f("python.exec.literal-code", "execution", S.LOW, C.MEDIUM, X.STARTUP, "cov.pth")
    assert score([weak]).level is VerdictLevel.CLEAN


def test_single_runtime_finding_chains_only_when_strong():
    medium = f("python.decode.deserialize-blob", "obfuscation", S.MEDIUM, C.MEDIUM, X.RUNTIME)
    assert find_chains([medium], Thresholds()) == []
    high = f("python.decode.deserialize-blob", "obfuscation", S.HIGH, C.HIGH, X.RUNTIME)
    assert [m.rule.name for m in find_chains([high], Thresholds())] == ["decode-exec"]


def test_hidden_process_at_import_is_suspicious():
    detached = f("python.process.detached", "evasion", S.MEDIUM, C.MEDIUM, X.IMPORT)
    verdict = score([detached])
    assert verdict.level is VerdictLevel.SUSPICIOUS
    assert verdict.reasons[0].rule == "score.chain.stealth"


def test_command_hijack_needs_behaviour():
    shadow = Finding("metadata.console-script.shadows-system-tool", "metadata", S.MEDIUM,
                     C.MEDIUM, X.CONTAINER, "git", "x.dist-info/entry_points.txt")
    assert score([shadow]).level is VerdictLevel.CLEAN
    sends = f("python.flow.secret-to-network", "exfiltration", S.MEDIUM, C.MEDIUM, X.RUNTIME,
              "x/cli.py")
    verdict = score([shadow, sends])
    assert verdict.level is VerdictLevel.SUSPICIOUS
    assert verdict.reasons[0] is shadow and sends in verdict.reasons


def test_content_finding_takes_the_context_established_for_its_line():
    # A content rule cannot tell when code runs and says runtime; the Python analyser placed the
    # same line at module level, so the decode -> exec chain runs at import.
    content = f("content.obfuscation.exec-decoded", "obfuscation", S.HIGH, C.HIGH, X.RUNTIME,
                line=7)
    python = f("python.obfuscation.whitespace-padding", "obfuscation", S.HIGH, C.HIGH, X.IMPORT,
               line=7)
    verdict = score([content, python])
    assert verdict.level is VerdictLevel.MALICIOUS
    assert content in verdict.reasons  # reported as the analyser made it
    assert verdict.reasons[0].context is X.IMPORT  # the chain runs at import


def test_artifact_wide_chain_links_a_disguised_binary_to_the_code_that_runs_it():
    binary = Finding("binary.pe.misnamed", "binary", S.HIGH, C.HIGH, X.DATA, "PE named .png",
                     "pkg/assets/logo.png")
    spawn = f("python.process.spawn", "process", S.MEDIUM, C.HIGH, X.IMPORT)
    verdict = score([binary, spawn])
    assert verdict.reasons[0].rule == "score.chain.disguised-binary"
    assert verdict.level is VerdictLevel.MALICIOUS


def test_one_runtime_finding_needs_a_second_witness_for_malicious():
    flow = f("python.flow.secret-to-network", "exfiltration", S.CRITICAL, C.HIGH, X.RUNTIME,
             "pkg/cloud.py", 75)
    alone = score([flow])
    assert alone.level is VerdictLevel.SUSPICIOUS and alone.score < Thresholds().malicious
    same_rule_elsewhere = f("python.flow.secret-to-network", "exfiltration", S.HIGH, C.HIGH,
                            X.RUNTIME, "pkg/other.py", 3)
    assert score([flow, same_rule_elsewhere]).level is VerdictLevel.SUSPICIOUS
    webhook = f("python.network.messenger", "exfiltration", S.HIGH, C.HIGH, X.IMPORT,
                "pkg/cloud.py", 80)
    assert score([flow, webhook]).level is VerdictLevel.MALICIOUS


def test_evidence_only_in_function_bodies_is_suspicious_at_most():
    # Two strong runtime flows in different files (an SDK sending its API token, a test helper
    # that downloads a tool): neither runs on import or install.
    token = f("python.flow.secret-to-network", "exfiltration", S.HIGH, C.HIGH, X.RUNTIME,
              "pkg/api.py", 10)
    tool = f("python.flow.download-execute", "execution", S.HIGH, C.HIGH, X.RUNTIME,
             "pkg/tools.py", 20)
    verdict = score([token, tool])
    assert verdict.level is VerdictLevel.SUSPICIOUS
    assert score([token, tool], Thresholds(runtime_only_suspicious=False)).level \
        is VerdictLevel.MALICIOUS


def test_test_modules_count_below_package_code():
    in_tests = f("python.exec.decoded-payload", "execution", S.HIGH, C.MEDIUM, X.IMPORT,
                 "pkg/tests/test_codec.py", 9)
    in_package = f("python.exec.decoded-payload", "execution", S.HIGH, C.MEDIUM, X.IMPORT,
                   "pkg/codec.py", 9)
    assert score([in_tests]).score < score([in_package]).score
