package main

import (
	"reflect"
	"strings"
	"testing"
)

const localTokenFile = "/etc/edgerepl/local-token/token"

// localTokenMounts returns the agent container's mounts of the local-token volume and the volume.
func localTokenMounts(t *testing.T, sts Object) ([]map[string]interface{}, map[string]interface{}) {
	t.Helper()
	var mounts []map[string]interface{}
	for _, c := range containers(sts) {
		for _, m := range list(c, "volumeMounts") {
			mm := m.(map[string]interface{})
			if str(mm, "name") != "local-token" {
				continue
			}
			if c["name"] != "edgerepl-agent" {
				t.Errorf("container %v mounts the local token", c["name"])
			}
			mounts = append(mounts, mm)
		}
	}
	var volume map[string]interface{}
	for _, v := range list(podSpec(sts), "volumes") {
		if str(v, "name") == "local-token" {
			volume = v.(map[string]interface{})
		}
	}
	return mounts, volume
}

func operatorHasLocalTokenFlag(t *testing.T, objs []Object) bool {
	t.Helper()
	a := args(containers(mustFind(t, objs, "Deployment", "edgerepl-operator"))[0])
	for _, x := range a {
		if strings.HasPrefix(x, "--agent-local-token-file") {
			if x != "--agent-local-token-file="+localTokenFile {
				t.Errorf("operator arg %s, want --agent-local-token-file=%s", x, localTokenFile)
			}
			return true
		}
	}
	return false
}

// influxdb.localTokenSecret: the one key of the Secret, read-only in the agent sidecar at the path
// the operator renders as local.tokenFile (a path: the token stays in its Secret).
func TestLocalTokenSecretIsMountedForTheAgentAndNamedToTheOperator(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		sets      []string
	}{
		{"default key", "token", []string{"influxdb.localTokenSecret.name=influxdb-backfill-token"}},
		{"own key", "read-token", []string{"influxdb.localTokenSecret.name=influxdb-backfill-token",
			"influxdb.localTokenSecret.key=read-token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, []string{"influxdb.yaml"}, tc.sets...)
			mounts, volume := localTokenMounts(t, mustFind(t, objs, "StatefulSet", "edgerepl-influxdb"))
			if len(mounts) != 1 {
				t.Fatalf("local-token mounts %v, want one in edgerepl-agent", mounts)
			}
			if str(mounts[0], "mountPath") != "/etc/edgerepl/local-token" || get(mounts[0], "readOnly") != true {
				t.Errorf("mount %v, want /etc/edgerepl/local-token read-only", mounts[0])
			}
			if _, ok := mounts[0]["subPath"]; ok {
				t.Errorf("mount %v: a subPath mount would not follow a rotated Secret", mounts[0])
			}
			want := map[string]interface{}{"secretName": "influxdb-backfill-token",
				"items": []interface{}{map[string]interface{}{"key": tc.key, "path": "token"}}}
			if !reflect.DeepEqual(get(volume, "secret"), want) {
				t.Errorf("volume %v, want secret %v", volume, want)
			}
			if !operatorHasLocalTokenFlag(t, objs) {
				t.Errorf("operator lacks --agent-local-token-file=%s", localTokenFile)
			}
		})
	}
	// Off by default and with an empty name: no volume, no mount, no flag.
	for _, sets := range [][]string{nil, {"influxdb.localTokenSecret.name="}} {
		objs := render(t, []string{"influxdb.yaml"}, sets...)
		mounts, volume := localTokenMounts(t, mustFind(t, objs, "StatefulSet", "edgerepl-influxdb"))
		if len(mounts) != 0 || volume != nil {
			t.Errorf("%v: local-token mounted %v, volume %v", sets, mounts, volume)
		}
		if operatorHasLocalTokenFlag(t, objs) {
			t.Errorf("%v: operator has --agent-local-token-file", sets)
		}
	}
}
