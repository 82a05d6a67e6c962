/** The Nexus entity: a volume's front end on one node, its children and their states, and its target. */
package io.caspian.control.entity.nexus;
