"""Auth endpoints: thin views over :mod:`accounts.services` and SimpleJWT.

Every view here has ``throttle_scope = "auth"`` (rate in
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"]``), so password guessing
and sign-up floods are slowed per client address (per user once signed in).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from accounts import services
from accounts.api.serializers import LogoutSerializer, RegisterSerializer, UserSerializer

AUTH_SCOPE = "auth"


class RegisterView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_scope = AUTH_SCOPE

    @extend_schema(
        summary="Create an account",
        request=RegisterSerializer,
        responses={201: UserSerializer, 400: OpenApiResponse(description="Invalid input.")},
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.register_user(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    """Exchange email and password for an access and a refresh token."""

    throttle_scope = AUTH_SCOPE


class TokenRefreshView(jwt_views.TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""

    throttle_scope = AUTH_SCOPE


class LogoutView(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_scope = AUTH_SCOPE

    @extend_schema(
        summary="Revoke a refresh token",
        request=LogoutSerializer,
        responses={
            204: OpenApiResponse(description="The refresh token is blacklisted."),
            400: OpenApiResponse(description="The token is invalid, expired or not yours."),
        },
    )
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(user=request.user, refresh_token=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_scope = AUTH_SCOPE

    @extend_schema(summary="The signed-in user", responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)
