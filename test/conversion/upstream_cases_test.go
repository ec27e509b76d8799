/*
Copyright 2026 The cluster-api-k3s Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package conversion

// upstreamCases are objects written the way upstream cluster-api-k3s users write them (field names, shapes and
// values from upstream's v1beta1 and v1beta2 APIs), one or two per kind and upstream version. Durations and times
// are written in their canonical form (as Go's metav1.Duration and metav1.Time print them), because every
// conversion, upstream's too, re-encodes them.
var upstreamCases = []upstreamCase{
	{
		name: "KThreesConfig v1beta1, all fields, external cloud provider disabled", kind: kthreesConfig, version: "v1beta1",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KThreesConfig
metadata:
  name: server-v1beta1
  labels:
    cluster.x-k8s.io/cluster-name: upstream
  annotations:
    example.com/written-in: v1beta1
spec:
  version: v1.30.2+k3s2
  files:
  - path: /etc/rancher/k3s/registries.yaml
    owner: root:root
    permissions: "0640"
    content: |
      mirrors:
        docker.io:
          endpoint:
          - https://registry.example.com
  - path: /etc/k3s/extra.conf
    encoding: base64
    contentFrom:
      secret:
        name: k3s-extra
        key: extra.conf
  preK3sCommands:
  - echo pre-k3s
  - mkdir -p /opt/k3s
  postK3sCommands:
  - echo post-k3s
  serverConfig:
    kubeAPIServerArg:
    - audit-log-maxage=30
    - anonymous-auth=false
    kubeControllerManagerArgs:
    - node-monitor-grace-period=20s
    kubeSchedulerArgs:
    - v=2
    tlsSan:
    - k3s.example.com
    - 10.0.0.10
    bindAddress: 0.0.0.0
    httpsListenPort: "6443"
    advertiseAddress: 10.0.0.10
    advertisePort: "6443"
    clusterCidr: 10.42.0.0/16
    serviceCidr: 10.43.0.0/16
    clusterDNS: 10.43.0.10
    clusterDomain: cluster.local
    disableComponents:
    - traefik
    - servicelb
    disableExternalCloudProvider: true
  agentConfig:
    nodeName: '{{ ds.meta_data.local_hostname }}'
    nodeLabels:
    - tier=control-plane
    nodeTaints:
    - dedicated=cp:NoSchedule
    privateRegistry: /etc/rancher/k3s/registries.yaml
    kubeletArgs:
    - max-pods=150
    kubeProxyArgs:
    - proxy-mode=ipvs
    airGapped: true
`,
		update: func(obj map[string]any) {
			set(obj, []any{"echo pre-k3s", "mkdir -p /opt/k3s", "echo updated"}, "spec", "preK3sCommands")
		},
	},
	{
		name: "KThreesConfig v1beta1, worker, cloud provider derived", kind: kthreesConfig, version: "v1beta1",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KThreesConfig
metadata:
  name: worker-v1beta1
spec:
  version: v1.29.6+k3s1
  agentConfig:
    nodeName: '{{ ds.meta_data.local_hostname }}'
    kubeletArgs:
    - cloud-provider=external
`,
		update: func(obj map[string]any) {
			set(obj, true, "spec", "serverConfig", "disableExternalCloudProvider")
		},
	},
	{
		name: "KThreesConfig v1beta2, all fields, cloud defaults", kind: kthreesConfig, version: "v1beta2",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KThreesConfig
metadata:
  name: server-v1beta2
  labels:
    cluster.x-k8s.io/cluster-name: upstream
  annotations:
    example.com/written-in: v1beta2
spec:
  version: v1.31.4+k3s1
  files:
  - path: /etc/rancher/k3s/registries.yaml
    owner: "0:0"
    permissions: "0600"
    encoding: gzip+base64
    content: H4sIAAAAAAAAA8vNzEvMTS0u0S1OzSlJVSjJzE1VKC5JLCkFAFQ6Y5caAAAA
  - path: /etc/k3s/token
    contentFrom:
      secret:
        name: k3s-token
        key: value
  preK3sCommands:
  - echo pre-k3s
  postK3sCommands:
  - echo post-k3s
  serverConfig:
    kubeAPIServerArg:
    - audit-log-maxage=30
    kubeControllerManagerArgs:
    - node-monitor-grace-period=20s
    kubeSchedulerArgs:
    - v=2
    tlsSan:
    - k3s.example.com
    bindAddress: 0.0.0.0
    httpsListenPort: "6443"
    clusterCidr: 10.42.0.0/16
    serviceCidr: 10.43.0.0/16
    clusterDNS: 10.43.0.10
    clusterDomain: cluster.local
    disableComponents:
    - traefik
    systemDefaultRegistry: registry.example.com
    etcdProxyImage: registry.example.com/alpine/socat:1.8.0.0
  agentConfig:
    nodeName: '{{ ds.meta_data.local_hostname }}'
    nodeLabels:
    - tier=control-plane
    nodeTaints:
    - dedicated=cp:NoSchedule
    privateRegistry: /etc/rancher/k3s/registries.yaml
    kubeletArgs:
    - max-pods=150
    kubeProxyArgs:
    - proxy-mode=ipvs
    airGapped: true
    airGappedInstallScriptPath: /opt/k3s/install.sh
`,
		webhookDefaults: func(obj map[string]any, _ string) { cloudProviderDefaults("spec")(obj) },
		update: func(obj map[string]any) {
			set(obj, "mirror.example.com", "spec", "serverConfig", "systemDefaultRegistry")
		},
	},
	{
		name: "KThreesConfig v1beta2, explicit cloud provider", kind: kthreesConfig, version: "v1beta2",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KThreesConfig
metadata:
  name: aws-v1beta2
spec:
  serverConfig:
    cloudProviderName: aws
    disableCloudController: false
  agentConfig:
    kubeletArgs:
    - max-pods=110
`,
		update: func(obj map[string]any) {
			set(obj, true, "spec", "serverConfig", "disableCloudController")
		},
	},
	{
		name: "KThreesConfig v1beta2, no cloud provider", kind: kthreesConfig, version: "v1beta2",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KThreesConfig
metadata:
  name: no-cloud-v1beta2
spec:
  serverConfig:
    cloudProviderName: ""
    disableCloudController: false
`,
		// v1beta1 has only disableExternalCloudProvider and shows it as the effective settings imply (docs/api-v1beta3.md).
		derivedThroughV1beta1: func(obj map[string]any) {
			set(obj, true, "spec", "serverConfig", "disableExternalCloudProvider")
		},
		update: func(obj map[string]any) {
			set(obj, []any{"k3s.example.com"}, "spec", "serverConfig", "tlsSan")
		},
	},
	{
		name: "KThreesConfigTemplate v1beta1", kind: kthreesConfigTemplate, version: "v1beta1",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KThreesConfigTemplate
metadata:
  name: workers-v1beta1
  labels:
    cluster.x-k8s.io/cluster-name: upstream
spec:
  template:
    spec:
      version: v1.30.2+k3s2
      files:
      - path: /etc/k3s/extra.conf
        encoding: base64
        contentFrom:
          secret:
            name: k3s-extra
            key: extra.conf
      preK3sCommands:
      - echo pre-k3s
      postK3sCommands:
      - echo post-k3s
      serverConfig:
        disableExternalCloudProvider: true
        kubeAPIServerArg:
        - audit-log-maxage=30
      agentConfig:
        nodeName: '{{ ds.meta_data.local_hostname }}'
        kubeletArgs:
        - max-pods=150
        airGapped: true
`,
		update: func(obj map[string]any) {
			set(obj, "worker-{{ ds.meta_data.instance_id }}", "spec", "template", "spec", "agentConfig", "nodeName")
		},
	},
	{
		name: "KThreesConfigTemplate v1beta2", kind: kthreesConfigTemplate, version: "v1beta2",
		manifest: `
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KThreesConfigTemplate
metadata:
  name: workers-v1beta2
spec:
  template:
    spec:
      files:
      - path: /etc/rancher/k3s/registries.yaml
        content: |
          mirrors: {}
      serverConfig:
        systemDefaultRegistry: registry.example.com
        etcdProxyImage: registry.example.com/alpine/socat:1.8.0.0
      agentConfig:
        nodeName: '{{ ds.meta_data.local_hostname }}'
        airGapped: true
        airGappedInstallScriptPath: /opt/k3s/install.sh
`,
		// Unlike upstream, templates are defaulted like the configs stamped out of them.
		webhookDefaults: func(obj map[string]any, _ string) { cloudProviderDefaults("spec", "template", "spec")(obj) },
		update: func(obj map[string]any) {
			set(obj, []any{"echo updated"}, "spec", "template", "spec", "postK3sCommands")
		},
	},
	{
		name: "KThreesControlPlane v1beta1, all fields", kind: kthreesControlPlane, version: "v1beta1",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KThreesControlPlane
metadata:
  name: cp-v1beta1
  labels:
    cluster.x-k8s.io/cluster-name: upstream
  annotations:
    example.com/written-in: v1beta1
spec:
  replicas: 3
  version: v1.30.2+k3s2
  infrastructureTemplate:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: DockerMachineTemplate
    name: cp-template
  upgradeAfter: "2026-01-02T03:04:05Z"
  nodeDrainTimeout: 5m0s
  machineTemplate:
    metadata:
      labels:
        example.com/machine-label: cp
      annotations:
        example.com/machine-annotation: cp
  remediationStrategy:
    maxRetry: 5
    retryPeriod: 10m0s
    minHealthyPeriod: 2h0m0s
  kthreesConfigSpec:
    files:
    - path: /etc/rancher/k3s/registries.yaml
      owner: root:root
      permissions: "0640"
      content: |
        mirrors: {}
    - path: /etc/k3s/extra.conf
      contentFrom:
        secret:
          name: k3s-extra
          key: extra.conf
    preK3sCommands:
    - echo pre-k3s
    postK3sCommands:
    - echo post-k3s
    serverConfig:
      kubeAPIServerArg:
      - audit-log-maxage=30
      - anonymous-auth=false
      kubeControllerManagerArgs:
      - node-monitor-grace-period=20s
      kubeSchedulerArgs:
      - v=2
      tlsSan:
      - k3s.example.com
      bindAddress: 0.0.0.0
      httpsListenPort: "6443"
      advertisePort: "6443"
      clusterCidr: 10.42.0.0/16
      serviceCidr: 10.43.0.0/16
      clusterDNS: 10.43.0.10
      clusterDomain: cluster.local
      disableComponents:
      - traefik
      - servicelb
      disableExternalCloudProvider: true
    agentConfig:
      nodeName: '{{ ds.meta_data.local_hostname }}'
      nodeLabels:
      - tier=control-plane
      nodeTaints:
      - dedicated=cp:NoSchedule
      privateRegistry: /etc/rancher/k3s/registries.yaml
      kubeletArgs:
      - max-pods=150
      kubeProxyArgs:
      - proxy-mode=ipvs
      airGapped: true
`,
		webhookDefaults: func(obj map[string]any, namespace string) {
			infrastructureNamespaceDefault(obj, namespace, "spec", "infrastructureTemplate")
		},
		update: func(obj map[string]any) {
			set(obj, int64(5), "spec", "replicas")
		},
	},
	{
		name: "KThreesControlPlane v1beta1, minimal", kind: kthreesControlPlane, version: "v1beta1",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: KThreesControlPlane
metadata:
  name: cp-min-v1beta1
spec:
  version: v1.29.6+k3s1
  infrastructureTemplate:
    apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
    kind: DockerMachineTemplate
    name: cp-template
  kthreesConfigSpec:
    serverConfig:
      tlsSan:
      - 0.0.0.0
`,
		webhookDefaults: func(obj map[string]any, namespace string) {
			setIfAbsent(obj, int64(1), "spec", "replicas")
			infrastructureNamespaceDefault(obj, namespace, "spec", "infrastructureTemplate")
		},
		update: func(obj map[string]any) {
			set(obj, "2026-03-04T05:06:07Z", "spec", "upgradeAfter")
		},
	},
	{
		name: "KThreesControlPlane v1beta2, all fields, cloud defaults", kind: kthreesControlPlane, version: "v1beta2",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KThreesControlPlane
metadata:
  name: cp-v1beta2
  labels:
    cluster.x-k8s.io/cluster-name: upstream
  annotations:
    example.com/written-in: v1beta2
spec:
  version: v1.31.4+k3s1
  machineTemplate:
    metadata:
      labels:
        example.com/machine-label: cp
      annotations:
        example.com/machine-annotation: cp
    infrastructureRef:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
      kind: DockerMachineTemplate
      name: cp-template
    nodeDrainTimeout: 5m0s
    nodeVolumeDetachTimeout: 10m0s
    nodeDeletionTimeout: 15m0s
  rolloutAfter: "2026-01-02T03:04:05Z"
  remediationStrategy:
    maxRetry: 3
    retryPeriod: 5m0s
    minHealthyPeriod: 1h30m0s
  kthreesConfigSpec:
    files:
    - path: /etc/k3s/extra.conf
      encoding: base64
      contentFrom:
        secret:
          name: k3s-extra
          key: extra.conf
    preK3sCommands:
    - echo pre-k3s
    postK3sCommands:
    - echo post-k3s
    serverConfig:
      kubeAPIServerArg:
      - audit-log-maxage=30
      kubeControllerManagerArgs:
      - node-monitor-grace-period=20s
      tlsSan:
      - k3s.example.com
      disableComponents:
      - traefik
      systemDefaultRegistry: registry.example.com
      etcdProxyImage: registry.example.com/alpine/socat:1.8.0.0
    agentConfig:
      nodeName: '{{ ds.meta_data.local_hostname }}'
      kubeletArgs:
      - max-pods=150
      airGapped: true
      airGappedInstallScriptPath: /opt/k3s/install.sh
`,
		webhookDefaults: func(obj map[string]any, namespace string) {
			setIfAbsent(obj, int64(1), "spec", "replicas")
			infrastructureNamespaceDefault(obj, namespace, "spec", "machineTemplate", "infrastructureRef")
			cloudProviderDefaults("spec", "kthreesConfigSpec")(obj)
		},
		update: func(obj map[string]any) {
			set(obj, "7m0s", "spec", "machineTemplate", "nodeDrainTimeout")
		},
	},
	{
		name: "KThreesControlPlane v1beta2, explicit replicas, namespace and cloud provider", kind: kthreesControlPlane, version: "v1beta2",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KThreesControlPlane
metadata:
  name: cp-aws-v1beta2
spec:
  replicas: 3
  version: v1.31.4+k3s1
  machineTemplate:
    infrastructureRef:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
      kind: AWSMachineTemplate
      name: cp-template
      namespace: NAMESPACE
  kthreesConfigSpec:
    serverConfig:
      cloudProviderName: aws
      disableCloudController: false
`,
		webhookDefaults: nil,
		update: func(obj map[string]any) {
			set(obj, int64(5), "spec", "replicas")
		},
	},
	{
		name: "KThreesControlPlane v1beta2, infrastructure reference in the provider's current version", kind: kthreesControlPlane, version: "v1beta2",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KThreesControlPlane
metadata:
  name: cp-current-v1beta2
spec:
  replicas: 1
  version: v1.31.4+k3s1
  machineTemplate:
    infrastructureRef:
      apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
      kind: DockerMachineTemplate
      name: cp-template
  kthreesConfigSpec:
    serverConfig:
      cloudProviderName: ""
      disableCloudController: false
`,
		webhookDefaults: func(obj map[string]any, namespace string) {
			infrastructureNamespaceDefault(obj, namespace, "spec", "machineTemplate", "infrastructureRef")
		},
		update: func(obj map[string]any) {
			set(obj, "cp-template-2", "spec", "machineTemplate", "infrastructureRef", "name")
		},
		// v1beta1 has only disableExternalCloudProvider and shows it as the effective settings imply (docs/api-v1beta3.md).
		derivedThroughV1beta1: func(obj map[string]any) {
			set(obj, true, "spec", "kthreesConfigSpec", "serverConfig", "disableExternalCloudProvider")
		},
	},
	{
		name: "KThreesControlPlaneTemplate v1beta2, ClusterClass e2e", kind: kthreesControlPlaneTemplate, version: "v1beta2",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KThreesControlPlaneTemplate
metadata:
  name: k3s-control-plane
spec:
  template:
    spec:
      kthreesConfigSpec:
        serverConfig:
          tlsSan:
          - 0.0.0.0
`,
		// Unlike upstream, templates are defaulted like the control planes stamped out of them.
		webhookDefaults: func(obj map[string]any, _ string) {
			cloudProviderDefaults("spec", "template", "spec", "kthreesConfigSpec")(obj)
		},
		update: func(obj map[string]any) {
			set(obj, []any{"0.0.0.0", "k3s.example.com"}, "spec", "template", "spec", "kthreesConfigSpec", "serverConfig", "tlsSan")
		},
	},
	{
		name: "KThreesControlPlaneTemplate v1beta2, all fields", kind: kthreesControlPlaneTemplate, version: "v1beta2",
		manifest: `
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KThreesControlPlaneTemplate
metadata:
  name: k3s-control-plane-full
spec:
  template:
    metadata:
      labels:
        example.com/template-label: cp
    spec:
      rolloutAfter: "2026-01-02T03:04:05Z"
      machineTemplate:
        metadata:
          labels:
            example.com/machine-label: cp
        infrastructureRef:
          apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
          kind: DockerMachineTemplate
          name: cp-template
        nodeDrainTimeout: 5m0s
        nodeVolumeDetachTimeout: 10m0s
        nodeDeletionTimeout: 15m0s
      remediationStrategy:
        maxRetry: 3
        retryPeriod: 5m0s
        minHealthyPeriod: 1h30m0s
      kthreesConfigSpec:
        serverConfig:
          tlsSan:
          - 0.0.0.0
          systemDefaultRegistry: registry.example.com
        agentConfig:
          airGapped: true
          airGappedInstallScriptPath: /opt/k3s/install.sh
`,
		// Unlike upstream, templates are defaulted like the control planes stamped out of them.
		webhookDefaults: func(obj map[string]any, _ string) {
			cloudProviderDefaults("spec", "template", "spec", "kthreesConfigSpec")(obj)
		},
		// Upstream's v1beta2 schema declares spec.template.metadata as an object without properties.
		schemaPruned: [][]string{{"spec", "template", "metadata"}},
		update: func(obj map[string]any) {
			set(obj, "7m0s", "spec", "template", "spec", "machineTemplate", "nodeDrainTimeout")
		},
	},
}
