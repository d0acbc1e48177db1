-- Argo CD health for fortisync.io FortiGateEndpointMapping, FortiGateDevice and FortiManagerTarget.
-- Reads the kstatus-style conditions (Stalled, Reconciling, Ready); docs/operate.md has the table.
-- DeviceNotFound is in progress until the operator declares it Stalled (after its grace period).
local hs = { status = "Progressing", message = "Waiting for fortisync to report status" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.message = "Waiting for fortisync to apply generation " .. generation
  return hs
end
local c = {}
for _, condition in ipairs(obj.status.conditions) do
  c[condition.type] = condition
end
local function says(condition)
  return (condition.reason or "") .. ": " .. (condition.message or "")
end
local function isTrue(condition)
  return condition ~= nil and condition.status == "True"
end
-- A person must act: the operator will not get further by retrying.
if isTrue(c.Stalled) then
  hs.status = "Degraded"
  hs.message = says(c.Stalled)
  return hs
end
local ready = c.Ready
if ready ~= nil and ready.status == "False" then
  local reason = ready.reason or ""
  if reason == "Suspended" or reason == "DryRun" then
    hs.status = "Suspended"
  elseif reason == "Pending" or reason == "Connecting" or reason == "Deleting" or reason == "DeviceNotFound"
    or reason == "Adopting" then
    hs.status = "Progressing"
  else
    -- Retried by the operator, but the FortiGate does not hold the spec now.
    hs.status = "Degraded"
  end
  hs.message = says(ready)
  return hs
end
if isTrue(c.Reconciling) then
  hs.message = says(c.Reconciling)
  return hs
end
if isTrue(ready) then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  if isTrue(c.InsecureTLS) then
    hs.message = hs.message .. " (warning: " .. says(c.InsecureTLS) .. ")"
  end
  return hs
end
if ready ~= nil then
  hs.message = says(ready)
end
return hs
