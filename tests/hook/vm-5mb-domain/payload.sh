#!/bin/sh
# SPDX-License-Identifier: MIT
# A 5 MB domain: 4 vNICs among 20,000 serial channels (generated, not committed).
printf '%s\n' "<?xml version='1.0' encoding='utf-8'?>" '<domain type="kvm"><name>big</name><uuid>0b9e7a52-1d1c-4f1e-9a41-8f1a2b3c4d5e</uuid><devices>'
for m in 01 02 03 04; do
	printf '<interface type="bridge"><mac address="00:1a:4a:00:00:%s"/><model type="virtio"/><source bridge="ovirtmgmt"/></interface>\n' "$m"
done
i=0
while [ $i -lt 20000 ]; do
	printf '<channel type="unix"><source mode="bind" path="/var/lib/libvirt/qemu/channels/big.org.example.channel-%06d.sock"/><target type="virtio" name="org.example.channel.%06d"/><alias name="channel%d"/></channel>\n' $i $i $i
	i=$((i + 1))
done
printf '%s\n' '</devices></domain>'
