#version 330 core
// arsdk's avatar vertex shader: positions to clip space; world-space normal, position and the atlas UV
// to the fragment shader. pyrender supplies the *_LOC defines and the M, V, P uniforms.

layout(location = 0) in vec3 position;
#ifdef NORMAL_LOC
layout(location = NORMAL_LOC) in vec3 normal;
#endif
#ifdef TEXCOORD_0_LOC
layout(location = TEXCOORD_0_LOC) in vec2 texcoord_0;
#endif
layout(location = INST_M_LOC) in mat4 inst_m;

uniform mat4 M;
uniform mat4 V;
uniform mat4 P;

out vec3 world_position;
out vec3 world_normal;
out vec2 atlas_uv;

void main()
{
    mat4 model = M * inst_m;
    vec4 world = model * vec4(position, 1.0);
    world_position = world.xyz;
#ifdef NORMAL_LOC
    world_normal = normalize(mat3(transpose(inverse(model))) * normal);
#else
    world_normal = vec3(0.0, 0.0, 1.0);
#endif
#ifdef TEXCOORD_0_LOC
    atlas_uv = texcoord_0;
#else
    atlas_uv = vec2(0.0);
#endif
    gl_Position = P * V * world;
}
