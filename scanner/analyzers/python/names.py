"""Qualified names -> what calling them can do. Pure data, read by the tree walker.

Names are what ``import`` resolution produces (``subprocess.Popen``, ``builtins.exec``), so
``from os import system as s; s(...)`` and ``__import__('os').system(...)`` land on the same
entry. Python 2 spellings are included because old malware still ships them.
"""

from __future__ import annotations

EXEC = frozenset({
    "builtins.exec", "builtins.eval", "builtins.compile", "builtins.execfile",
    "code.InteractiveInterpreter.runsource", "code.InteractiveConsole.push",
    "runpy.run_path", "runpy.run_module",
})

# Calls that decode their first argument, with the decode-chain name.
DECODE = {
    "base64.b64decode": "base64", "base64.standard_b64decode": "base64",
    "base64.urlsafe_b64decode": "base64", "base64.decodebytes": "base64",
    "base64.decodestring": "base64", "binascii.a2b_base64": "base64",
    "base64.b32decode": "base32", "base64.b32hexdecode": "base32",
    "base64.b85decode": "base85", "base64.a85decode": "ascii85",
    "base64.b16decode": "hex", "binascii.unhexlify": "hex", "binascii.a2b_hex": "hex",
    "builtins.bytes.fromhex": "hex", "builtins.bytearray.fromhex": "hex",
    "zlib.decompress": "zlib", "gzip.decompress": "gzip", "lzma.decompress": "lzma",
    "bz2.decompress": "bz2",
}

# Deserialisers that turn bytes into code or arbitrary objects.
DESERIALIZE = {
    "marshal.loads": "marshal", "marshal.load": "marshal",
    "pickle.loads": "pickle", "pickle.load": "pickle", "cPickle.loads": "pickle",
    "_pickle.loads": "pickle", "dill.loads": "pickle", "cloudpickle.loads": "pickle",
    "joblib.load": "pickle",
}

SPAWN = frozenset({
    "os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4", "os.startfile",
    "os.spawnl", "os.spawnle", "os.spawnlp", "os.spawnlpe", "os.spawnv", "os.spawnve",
    "os.spawnvp", "os.spawnvpe", "os.execl", "os.execle", "os.execlp", "os.execlpe",
    "os.execv", "os.execve", "os.execvp", "os.execvpe", "os.posix_spawn", "os.posix_spawnp",
    "subprocess.Popen", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.run", "subprocess.getoutput", "subprocess.getstatusoutput",
    "commands.getoutput", "commands.getstatusoutput", "pty.spawn",
    "asyncio.create_subprocess_shell", "asyncio.create_subprocess_exec",
    "win32api.ShellExecute", "win32api.WinExec", "ctypes.windll.shell32.ShellExecuteW",
    "ctypes.windll.shell32.ShellExecuteA", "ctypes.windll.kernel32.WinExec",
})
SHELL_ALWAYS = frozenset({"os.system", "os.popen", "subprocess.getoutput",
                          "subprocess.getstatusoutput", "commands.getoutput",
                          "commands.getstatusoutput", "asyncio.create_subprocess_shell"})

HTTP = frozenset({
    "requests.get", "requests.post", "requests.put", "requests.patch", "requests.delete",
    "requests.head", "requests.request", "requests.Session", "requests.session",
    "requests.api.get", "requests.api.post", "requests.api.request",
    "urllib.request.urlopen", "urllib.request.urlretrieve", "urllib.request.Request",
    "urllib.request.build_opener", "urllib2.urlopen", "urllib2.Request", "urllib.urlopen",
    "urllib.urlretrieve", "urllib.request.URLopener", "urllib.URLopener",
    "http.client.HTTPConnection", "http.client.HTTPSConnection", "httplib.HTTPConnection",
    "httplib.HTTPSConnection", "httpx.get", "httpx.post", "httpx.put", "httpx.request",
    "httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession", "aiohttp.request",
    "urllib3.PoolManager", "urllib3.request", "urllib3.HTTPConnectionPool", "pycurl.Curl",
    "wget.download", "websocket.create_connection", "websockets.connect",
    "smtplib.SMTP", "smtplib.SMTP_SSL", "ftplib.FTP", "telnetlib.Telnet",
    "discord_webhook.DiscordWebhook", "dhooks.Webhook", "telebot.TeleBot",
})
# Calls whose result is fetched content (a download) rather than just a connection.
DOWNLOAD = frozenset({
    "requests.get", "requests.request", "requests.api.get", "urllib.request.urlopen",
    "urllib.request.urlretrieve", "urllib2.urlopen", "urllib.urlopen", "urllib.urlretrieve",
    "httpx.get", "wget.download", "urllib3.request",
})
SOCKET = frozenset({"socket.socket", "socket.create_connection", "socket.socketpair",
                    "ssl.wrap_socket"})
DNS = frozenset({"socket.gethostbyname", "socket.gethostbyname_ex", "socket.getaddrinfo",
                 "dns.resolver.resolve", "dns.resolver.query", "dns.resolver.Resolver",
                 "dns.query.udp", "dns.query.tcp"})

FINGERPRINT = {
    "socket.gethostname": "hostname", "platform.node": "hostname", "os.uname": "uname",
    "platform.uname": "uname", "getpass.getuser": "user", "os.getlogin": "user",
    "os.getuid": "uid", "pwd.getpwuid": "user", "platform.system": "platform",
    "platform.platform": "platform", "platform.release": "platform",
    "platform.version": "platform", "platform.machine": "platform", "os.getcwd": "cwd",
    "os.getcwdb": "cwd", "uuid.getnode": "mac-address", "socket.getfqdn": "hostname",
}

SECRET_CALLS = {
    "win32crypt.CryptUnprotectData": "browser-credentials",
    "browser_cookie3.load": "browser-cookies", "browser_cookie3.chrome": "browser-cookies",
    "browser_cookie3.firefox": "browser-cookies", "browsercookie.load": "browser-cookies",
    "os.environ.items": "environment", "os.environ.copy": "environment",
    "os.environ.keys": "environment", "os.environ.values": "environment",
    "os.environ.__str__": "environment",
}

SURVEILLANCE = {
    "pyperclip.paste": "clipboard", "win32clipboard.GetClipboardData": "clipboard",
    "clipboard.paste": "clipboard", "pynput.keyboard.Listener": "keylogger",
    "keyboard.on_press": "keylogger", "keyboard.hook": "keylogger",
    "keyboard.record": "keylogger", "keyboard.read_key": "keylogger",
    "PIL.ImageGrab.grab": "screenshot", "ImageGrab.grab": "screenshot",
    "pyautogui.screenshot": "screenshot", "mss.mss": "screenshot",
    "pyscreenshot.grab": "screenshot", "cv2.VideoCapture": "webcam",
}

DELETE = frozenset({"shutil.rmtree", "os.remove", "os.unlink", "os.removedirs"})
REGISTRY_WRITE = frozenset({"winreg.SetValueEx", "_winreg.SetValueEx", "winreg.SetValue",
                            "win32api.RegSetValueEx", "winreg.CreateKey"})
CHMOD = frozenset({"os.chmod", "os.fchmod"})
SLEEP = frozenset({"time.sleep"})
THREAD = frozenset({"threading.Thread", "multiprocessing.Process", "threading.Timer",
                    "_thread.start_new_thread", "thread.start_new_thread"})
ATEXIT = frozenset({"atexit.register"})
DUP2 = frozenset({"os.dup2"})
# Methods that pull bytes out of media files (steganography carriers).
MEDIA_METHODS = frozenset({"readframes", "getpixel", "getdata", "tobytes"})
# Setuptools/distutils command classes whose overrides run during install or build.
INSTALL_COMMANDS = frozenset({
    "install", "develop", "egg_info", "build_py", "build_ext", "build", "sdist",
    "bdist_egg", "bdist_wheel", "bdist", "install_lib", "install_scripts", "install_data",
    "build_clib", "build_scripts",
})
BUILD_ONLY_COMMANDS = frozenset({"build_ext", "build_clib", "build", "build_py"})
# Programs a build legitimately runs (pybind11-style CMake builds, version from VCS).
BUILD_TOOLS = frozenset({
    "cmake", "make", "ninja", "gcc", "g++", "cc", "c++", "clang", "clang++", "cl", "nvcc",
    "git", "hg", "svn", "pkg-config", "swig", "cython", "meson", "autoreconf", "configure",
    "./configure", "sh", "bash", "xcrun", "ar", "ld", "lipo", "install_name_tool", "patchelf",
    "rustc", "cargo", "go", "npm", "yarn", "node", "qmake", "protoc", "python", "python3",
    "mvn", "javac", "uname", "sysctl", "ldconfig", "lsb_release", "nproc", "which",
    "nvidia-smi", "sw_vers", "xcode-select", "where", "getconf", "gmake", "nmake", "ccache",
    "gfortran", "icc", "icx", "ifort", "ifx", "autoconf", "automake", "autogen.sh", "libtool",
    "bison", "flex", "pgen", "yasm", "nasm", "pkgconf", "xcodebuild", "msbuild", "vswhere",
    "brew",
    "rpm", "dpkg-architecture", "ldd", "otool", "strip", "objdump", "nm", "dlltool", "windres",
    "rc", "link", "lib", "emcc", "hipcc", "hipconfig", "gcc-ar", "llvm-ar",
    # File utilities build steps use to prepare trees (destructive forms are separate rules).
    "patch", "touch", "mkdir", "cp", "ln", "tar", "unzip", "install", "sed",
    # Front-end builds some packages run for their bundled assets.
    "npx", "pnpm", "webpack", "tsc", "esbuild", "rollup", "vite",
})
STDLIB_COMMON = frozenset({
    "os", "sys", "site", "importlib", "types", "warnings", "re", "io", "encodings", "codecs",
    "builtins", "abc", "functools", "collections", "typing", "enum", "pathlib", "posixpath",
    "ntpath", "atexit", "threading", "traceback",
})
