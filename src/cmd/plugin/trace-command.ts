import { Command } from 'commander';
import { isIP } from 'node:net';
import { clusterView, readSnapshot } from './cluster.js';
import { action, addKubeFlags, defaultNamespace, readerFor, type KubeFlags } from './context.js';
import { PluginError } from './errors.js';
import { readDevices } from './live-devices.js';
import { parseFormat, withProgress, writeData, type Io } from './output.js';
import { renderIpTrace, renderPodTrace } from './render-trace.js';
import { deviceViews, plansOf, tracePod } from './trace.js';
import { podsWithIp, traceIp } from './trace-ip.js';
import { readTargets, targetNames, targetViews } from './target-views.js';

type TraceFlags = KubeFlags & { output?: string };

function splitTarget(target: string, fallbackNs: string): [string, string] {
  const parts = target.split('/');
  if (parts.length === 2 && parts[0] && parts[1]) return [parts[0], parts[1]];
  if (parts.length === 1 && parts[0]) return [fallbackNs, parts[0]];
  throw new PluginError(`not a pod: ${target}`, 'write NAMESPACE/NAME, or NAME with -n NAMESPACE');
}

export function registerTrace(program: Command, io: Io): void {
  const cmd = new Command('trace')
    .description(
      'Why a pod (or an IP) is, or is not, allowed through the FortiGate: its node, the address fortisync uses, the mappings that select it and why, the groups it is in on each device or FortiManager ADOM (read live), the policies (or policy packages) using them, and whether each is in sync',
    )
    .argument('<kind>', '"pod" or "ip"')
    .argument('<target>', 'NAMESPACE/NAME (or NAME with -n), or an IPv4/IPv6 address')
    .option('-o, --output <format>', 'json or yaml (default: tables)');
  addKubeFlags(cmd).action(
    action(io, async (kind: string, target: string, flags: TraceFlags) => {
      const format = parseFormat(flags.output);
      const reader = readerFor(flags);
      if (kind !== 'pod' && kind !== 'ip')
        throw new PluginError(`trace ${kind}: use "trace pod NS/NAME" or "trace ip A.B.C.D"`);
      if (kind === 'ip' && !isIP(target)) throw new PluginError(`not an IP address: ${target}`);
      const snapshot = await withProgress(io, 'reading the cluster…', () => readSnapshot(reader));
      const view = clusterView(snapshot);
      let podKey: [string, string] | undefined;
      if (kind === 'pod') podKey = splitTarget(target, defaultNamespace(reader, flags));
      else {
        const { own } = podsWithIp(snapshot, target);
        if (own.length > 1)
          throw new PluginError(
            `${target} belongs to several pods: ${own.join(', ')}`,
            'trace one of them with `trace pod NS/NAME`',
          );
        if (own[0]) podKey = own[0].split('/') as [string, string];
      }
      if (podKey) {
        const [ns, name] = podKey;
        const pod =
          snapshot.pods.find((p) => p.metadata?.namespace === ns && p.metadata?.name === name) ??
          (await reader.pod(ns, name));
        const names = snapshot.mappings.flatMap((m) => m.spec?.devices ?? []);
        const [devices, targets] = await withProgress(io, 'reading the FortiGates and FortiManagers…', () =>
          Promise.all([
            readDevices(reader, deviceViews(snapshot, names), { policies: true }),
            readTargets(reader, targetViews(snapshot, targetNames(snapshot)), { policies: true }),
          ]),
        );
        const t = tracePod(snapshot, view, [...devices, ...targets], pod);
        if (format === 'text') io.out.write(renderPodTrace(io, t));
        else writeData(io, format, t);
        return;
      }
      const devices = await withProgress(io, 'reading the FortiGates…', () =>
        readDevices(
          reader,
          deviceViews(
            snapshot,
            snapshot.devices.map((d) => d.metadata.name),
          ),
          { policies: true },
        ),
      );
      const t = traceIp(snapshot, devices, plansOf(snapshot, view, devices), target);
      if (format === 'text') io.out.write(renderIpTrace(io, t));
      else writeData(io, format, t);
    }),
  );
  program.addCommand(cmd);
}
